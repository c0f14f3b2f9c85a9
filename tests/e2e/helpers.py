"""Shared steps of the agent UI browser tests."""

from __future__ import annotations

from django.conf import settings
from django.test import Client
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from heedful.people.models import Agent


def sign_in(page: Page, live_server: LiveServer, agent: Agent) -> None:
    """Give the browser a signed-in session. The sign-in form has its own browser test
    (test_agent_replies.py); here it would only cost time and feed the sign-in throttle."""
    client = Client()
    client.force_login(agent.user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])


def mark_page(page: Page) -> None:
    """Tag the loaded document: the tag survives a fetch() but not a page load."""
    page.evaluate("window.__heedfulSamePage = true")


def still_same_page(page: Page) -> bool:
    return bool(page.evaluate("window.__heedfulSamePage === true"))
