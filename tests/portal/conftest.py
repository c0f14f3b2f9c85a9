"""Portal story helpers: a signed-in customer's browser, and reading sign-in links from mail."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from heedful.core.models import SiteSettings

LINK = re.compile(r"https?://\S+/portal/sign-in/([A-Za-z0-9_\-]+)/")


def signed_in(client: Client, contact: Any) -> Client:
    session = client.session
    session["portal_contact_id"] = contact.pk
    session.save()
    return client


def link_tokens() -> list[str]:
    return [m for message in mail.outbox for m in LINK.findall(message.body)]


@pytest.fixture
def customer_client(client: Client, contact: Any) -> Client:
    return signed_in(client, contact)


@pytest.fixture
def site(db: None) -> SiteSettings:
    site = SiteSettings.current()
    site.support_phone = "+1 (555) 0100"
    site.support_email = "help@example.com"
    site.phone_hours = "Mon-Fri 9:00-17:00"
    site.save()
    return site
