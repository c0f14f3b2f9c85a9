"""Settings in the agent UI: who reaches which page, refusals as a 403 page, and every page's
queries staying flat as its list grows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from heedful.mail.models import Mailbox
from tests.factories import CustomFieldFactory, SavedReplyFactory, TeamFactory, make_agent

pytestmark = pytest.mark.django_db

SHARED_PAGES = [
    "/settings/shared-replies/", "/settings/shared-replies/new/", "/settings/fields/",
    "/settings/fields/new/", "/settings/teams/", "/settings/teams/new/", "/settings/mailboxes/",
    "/settings/mailboxes/new/", "/settings/contact-options/", "/settings/roles/",
]


def _personal_reply(n: int, viewer: Any) -> None:
    SavedReplyFactory(owner=viewer.user, title=f"Mine {n}")


def _shared_reply(n: int, viewer: Any) -> None:
    SavedReplyFactory(team=TeamFactory(), title=f"Shared {n}")


def _field(n: int, viewer: Any) -> None:
    CustomFieldFactory(choices=["a", "b"], type="choice")


def _team(n: int, viewer: Any) -> None:
    team = TeamFactory()
    make_agent(teams=[team])
    Mailbox.objects.create(name=f"Box {n}", address=f"box{n}@example.com", team=team)


def _mailbox(n: int, viewer: Any) -> None:
    Mailbox.objects.create(name=f"Box {n}", address=f"box{n}@example.com", team=TeamFactory(),
                           imap_host="imap.example.com", imap_last_error="login refused")


def _agent(n: int, viewer: Any) -> None:
    make_agent(teams=[TeamFactory()], role=["agent", "supervisor", "admin"][n % 3])


def _nothing(n: int, viewer: Any) -> None:
    pass


PAGES: list[tuple[str, Callable[[int, Any], None]]] = [
    ("/settings/", _nothing),
    ("/settings/saved-replies/", _personal_reply),
    ("/settings/shared-replies/", _shared_reply),
    ("/settings/shared-replies/new/", _team),
    ("/settings/fields/", _field),
    ("/settings/teams/", _team),
    ("/settings/teams/new/", _agent),
    ("/settings/mailboxes/", _mailbox),
    ("/settings/mailboxes/new/", _team),
    ("/settings/contact-options/", _nothing),
    ("/settings/roles/", _agent),
]


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize(("url", "grow"), PAGES, ids=[url for url, _grow in PAGES])
def test_each_settings_page_renders_for_a_supervisor_with_flat_query_count(client, supervisor, url, grow):
    client.force_login(supervisor.user)
    grow(0, supervisor)
    client.get(url)  # the first request of a fresh database creates the site settings row
    few = _queries(client, url)
    for n in range(1, 6):
        grow(n, supervisor)
    assert _queries(client, url) == few


@pytest.mark.parametrize("url", SHARED_PAGES)
def test_agent_is_refused_shared_settings_with_a_403_page_that_leads_home(agent_client, url):
    response = agent_client.get(url)
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have permission to do this." in html
    assert 'href="/"' in html and 'href="/settings/"' in html


@pytest.mark.parametrize("url", [
    "/settings/shared-replies/new/", "/settings/fields/new/", "/settings/teams/new/",
    "/settings/mailboxes/new/", "/settings/contact-options/",
])
def test_agent_posting_to_shared_settings_is_refused_and_nothing_changes(agent_client, url):
    from heedful.core.models import AuditLogEntry

    response = agent_client.post(url, {"name": "Sneaky", "title": "Sneaky", "body": "x",
                                       "key": "sneaky", "label": "Sneaky", "type": "text",
                                       "address": "sneaky@example.com"})
    assert response.status_code == 403
    assert not AuditLogEntry.objects.exists()


def test_agent_menu_offers_only_their_own_saved_replies(agent_client):
    html = agent_client.get("/settings/").content.decode()
    assert "/settings/saved-replies/" in html
    assert "/settings/fields/" not in html and "/settings/roles/" not in html
    assert "kept by supervisors and admins" in html


def test_supervisor_menu_offers_every_section(client, supervisor):
    client.force_login(supervisor.user)
    html = client.get("/settings/").content.decode()
    for url in ["/settings/saved-replies/", *SHARED_PAGES[::2]]:
        assert url in html


def test_settings_are_reachable_from_the_agent_navigation(agent_client):
    assert 'href="/settings/"' in agent_client.get("/").content.decode()


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get("/settings/fields/")
    assert response.status_code == 302 and "/login/" in response["Location"]
