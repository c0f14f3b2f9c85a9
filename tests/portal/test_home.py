from __future__ import annotations

import datetime

import pytest

from heedful.people.actions import update_contact
from tests.factories import make_ticket
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_home_shows_click_to_call_and_email_without_sign_in(client, site):
    response = client.get("/portal/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="tel:+15550100"' in html
    assert 'href="mailto:help@example.com"' in html
    assert "Mon-Fri 9:00-17:00" in html


def test_contact_options_are_on_every_portal_page(client, site):
    for path in ("/portal/sign-in/", "/portal/new/"):
        assert 'href="tel:+15550100"' in client.get(path).content.decode()


def test_live_chat_is_never_promised_without_a_chat_to_open(client, site):
    # Switched on by an admin, but no chat channel is installed yet: offering it would mislead.
    site.chat_enabled = True
    site.save()
    assert "Live chat" not in client.get("/portal/").content.decode()


def test_pages_have_no_inline_script_or_style(client, site, contact):
    signed_in(client, contact)
    ticket = make_ticket(requester=contact)
    for path in ("/portal/", "/portal/new/", f"/portal/tickets/{ticket.number}/", "/portal/profile/"):
        html = client.get(path).content.decode()
        assert "style=" not in html
        assert "<script>" not in html and "onclick" not in html
        assert 'class="skip-link"' in html


def test_signed_in_home_lists_own_tickets_with_status(client, contact):
    ticket = make_ticket(requester=contact, subject="Router blinks")
    other = make_ticket(subject="Someone else's secret")
    html = signed_in(client, contact).get("/portal/").content.decode()
    assert f"#{ticket.number} Router blinks" in html
    assert "Someone else" not in html and f"#{other.number}" not in html
    assert "Received" in html
    assert 'href="/portal/new/"' in html


def test_times_render_in_the_contacts_time_zone(client, contact):
    at = datetime.datetime(2026, 1, 15, 12, 0, tzinfo=datetime.UTC)
    make_ticket(requester=contact, at=at)
    update_contact(contact=contact, changes={"timezone": "Asia/Tokyo"})
    html = signed_in(client, contact).get("/portal/").content.decode()
    assert 'datetime="2026-01-15T21:00:00+09:00"' in html


def test_ticket_list_pages_bad_page_number_does_not_fail(client, contact):
    make_ticket(requester=contact)
    response = signed_in(client, contact).get("/portal/?page=zzz")
    assert response.status_code == 200


def test_language_switcher_lists_every_language(client, db):
    html = client.get("/portal/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    for code in ("en", "zh-hans", "eo", "te", "bn", "lo"):
        assert f'value="{code}"' in html


def test_chosen_language_applies_to_the_portal(client, db):
    client.post("/i18n/setlang/", {"language": "eo", "next": "/portal/"})
    assert client.get("/portal/").headers["Content-Language"] == "eo"


def test_home_query_count_does_not_grow_with_tickets(client, contact, django_assert_max_num_queries):
    for n in range(30):
        make_ticket(requester=contact, subject=f"Ticket {n}")
    signed_in(client, contact)
    with django_assert_max_num_queries(12):
        response = client.get("/portal/")
    assert "Ticket 29" in response.content.decode()


def test_fresh_install_shows_a_phone_link_from_the_configured_defaults(client, settings):
    from heedful.core.models import SiteSettings

    SiteSettings.objects.all().delete()
    settings.SUPPORT_PHONE = "+44 20 7946 0000"
    html = client.get("/portal/").content.decode()
    assert 'href="tel:+442079460000"' in html
