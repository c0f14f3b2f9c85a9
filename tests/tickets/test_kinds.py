"""Event kinds are registered: each has a label, who may see it, a template and a data shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from heedful.core.errors import Invalid
from heedful.mail.actions import mark_spam
from heedful.tickets import kinds
from heedful.tickets.timeline import append_event
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def promise_kind() -> Iterator[kinds.EventKind]:
    kind = kinds.register_kind(kinds.EventKind(
        "test_promise_made", "Promise made", "web/events/unknown.html", data={"due": "str", "what": "str?"}))
    yield kind
    kinds._KINDS.pop(kind.name)


def test_an_app_kind_is_written_and_rendered_without_touching_tickets(agent_client, agent, promise_kind):
    ticket = make_ticket()
    append_event(ticket=ticket, kind="test_promise_made", author_user=agent.user, data={"due": "2026-12-24"})
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Promise made" in html


def test_an_unknown_kind_is_refused():
    with pytest.raises(Invalid, match="Unknown event kind"):
        append_event(ticket=make_ticket(), kind="nonsense")


def test_data_in_the_wrong_shape_is_refused(promise_kind):
    ticket = make_ticket()
    with pytest.raises(Invalid, match="needs 'due'"):
        append_event(ticket=ticket, kind="test_promise_made", data={})
    with pytest.raises(Invalid, match="does not take"):
        append_event(ticket=ticket, kind="test_promise_made", data={"due": "x", "typo": 1})
    with pytest.raises(Invalid, match="must be str"):
        append_event(ticket=ticket, kind="test_promise_made", data={"due": 3})


def test_an_agents_only_kind_cannot_be_public(promise_kind):
    with pytest.raises(Invalid, match="never shown to customers"):
        append_event(ticket=make_ticket(), kind="test_promise_made", public=True, data={"due": "x"})


def test_registering_a_name_twice_differently_fails_loudly(promise_kind):
    with pytest.raises(ValueError, match="already registered"):
        kinds.register_kind(kinds.EventKind("test_promise_made", "Other"))


def test_spam_verdict_is_a_kind_of_its_own_rendered_in_words(agent_client, agent):
    ticket = make_ticket()
    mark_spam(ticket=ticket, actor=agent.user, spam=True)
    event = ticket.events.get(kind="spam_verdict")
    assert event.data == {"spam": True, "learned": True}
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    name = str(agent)
    assert "marked the ticket as spam" in html and name in html
    assert "→ True" not in html and "— →" not in html


def test_every_kind_written_by_the_core_is_registered_with_a_template_that_exists():
    from django.template.loader import get_template

    for kind in kinds.registered_kinds():
        get_template(kind.template)
        if kind.portal_template:
            get_template(kind.portal_template)


def test_customers_see_only_kinds_with_a_portal_template():
    assert {k.name for k in kinds.registered_kinds() if k.customer_visible} == {"message_in", "message_out"}
