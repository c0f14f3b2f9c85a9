"""Fixtures for mail tests: a real Dovecot IMAP server (plain and IMAPS) and mailboxes that
point at it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.mail.dovecot import DOVECOT, Dovecot, dovecot_missing_message, start_dovecot


def _require_dovecot() -> None:
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(dovecot_missing_message())
        pytest.skip(dovecot_missing_message())


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    _require_dovecot()
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def dovecot_tls() -> Iterator[Dovecot]:
    _require_dovecot()
    server = start_dovecot(tls=True)
    yield server
    server.stop()


@pytest.fixture
def imap_mailbox(db: None, dovecot: Dovecot) -> Any:
    from heedful.mail.crypto import encrypt_secret
    from heedful.mail.models import Mailbox

    return Mailbox.objects.create(
        name="Support", address="support@heedful.test", imap_host=dovecot.host,
        imap_port=dovecot.port, imap_ssl=False, imap_username=dovecot.user,
        imap_password_encrypted=encrypt_secret(dovecot.password),
    )
