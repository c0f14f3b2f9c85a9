"""The API asks the policy before any change: a role without a permission gets a 403 with a
message, and nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from heedful import policy
from heedful.people.models import Agent
from tests.api.conftest import ApiClient, assert_error
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_only_agents(monkeypatch: Any) -> None:
    monkeypatch.setitem(policy.ROLE_PERMISSIONS, Agent.Role.AGENT,
                        frozenset({policy.Permission.REPORTS_VIEW}))


def test_an_agent_without_ticket_change_cannot_reply_patch_open_or_mark_spam(
        api: ApiClient, read_only_agents: None) -> None:
    ticket = make_ticket()
    assert_error(api.post(f"/tickets/{ticket.pk}/events", {"body": "Hi"}), 403, "permission_denied")
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"priority": "high"}), 403, "permission_denied")
    assert_error(api.post(f"/tickets/{ticket.pk}/spam", {"spam": True}), 403, "permission_denied")
    assert_error(api.post("/tickets", {"requester": {"email": "x@example.org"}, "subject": "S", "body": "B"}),
                 403, "permission_denied")
    ticket.refresh_from_db()
    assert ticket.priority == "normal" and not ticket.spam and ticket.events.count() == 1


def test_an_agent_without_ticket_merge_cannot_merge(api: ApiClient, read_only_agents):
    source, target = make_ticket(), make_ticket()
    assert_error(api.post(f"/tickets/{source.pk}/merge", {"target_id": target.pk}), 403, "permission_denied")
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_the_default_agent_role_may_reply(api: ApiClient):
    ticket = make_ticket()
    assert api.post(f"/tickets/{ticket.pk}/events", {"body": "Hi"}).status_code == 201
