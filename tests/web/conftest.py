"""Helpers for the agent UI tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories


@pytest.fixture
def team(db: None) -> Any:
    return factories.TeamFactory(name="Billing")


def ticket_page(client: Any, ticket: Any) -> Any:
    return client.get(f"/tickets/{ticket.number}/")
