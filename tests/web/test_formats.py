"""Dates and numbers follow the viewer's locale (src/heedful/formats/ fills in what Django lacks)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.utils import formats

from heedful.tickets.models import Ticket
from tests.factories import make_contact, make_ticket
from tests.portal.conftest import signed_in

pytestmark = pytest.mark.django_db

MARCH_5 = datetime.datetime(2026, 3, 5, 14, 30, tzinfo=datetime.UTC)


def in_language(client: Client, code: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    return client


def dated(ticket: Ticket, when: datetime.datetime) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(created_at=when, updated_at=when)
    ticket.refresh_from_db()
    return ticket


def time_texts(html: str) -> list[str]:
    return re.findall(r"<time[^>]*>([^<]*)</time>", html)


def test_ticket_page_in_lao_shows_day_month_year_and_a_24_hour_clock(agent_client: Client) -> None:
    ticket = dated(make_ticket(), MARCH_5)

    html = in_language(agent_client, "lo").get(f"/tickets/{ticket.number}/").content.decode()

    assert any(re.fullmatch(r"5 \S+ 2026, 14:30", text) for text in time_texts(html)), time_texts(html)
    assert "March 5, 2026" not in html


def test_portal_ticket_page_in_lao_shows_day_month_year_and_a_24_hour_clock(client: Client) -> None:
    contact = make_contact()
    ticket = dated(make_ticket(requester=contact), MARCH_5)

    page = in_language(signed_in(client, contact), "lo").get(f"/portal/tickets/{ticket.number}/")

    texts = time_texts(page.content.decode())
    assert any(re.fullmatch(r"5 \S+ 2026, 14:30", text) for text in texts), texts


def test_telugu_times_are_not_written_the_english_way(agent_client: Client) -> None:
    ticket = dated(make_ticket(), MARCH_5)

    html = in_language(agent_client, "te").get(f"/tickets/{ticket.number}/").content.decode()

    assert any(re.fullmatch(r"5 \S+ 2026, 2:30 \S+", text) for text in time_texts(html)), time_texts(html)


def test_queue_in_lao_puts_the_day_before_the_month_for_older_tickets(agent_client: Client) -> None:
    dated(make_ticket(), MARCH_5.replace(year=2025))

    html = in_language(agent_client, "lo").get("/?queue=all").content.decode()

    assert any(re.fullmatch(r"5 \S+", text) for text in time_texts(html)), time_texts(html)


def test_queue_in_english_keeps_the_short_month_and_day(agent_client: Client) -> None:
    dated(make_ticket(), MARCH_5.replace(year=2025))

    html = agent_client.get("/?queue=all").content.decode()

    assert "Mar 5" in time_texts(html)


@pytest.mark.parametrize(("language", "shown"), [
    ("en", "1,234,567.50"),
    ("lo", "1.234.567,50"),
    ("te", "12,34,567.50"),
    ("bn", "12,34,567.50"),
])
def test_customer_value_uses_the_locales_separators(agent_client: Client, language: str, shown: str) -> None:
    ticket = make_ticket(requester=make_contact(lifetime_value=Decimal("1234567.5")))

    html = in_language(agent_client, language).get(f"/tickets/{ticket.number}/").content.decode()

    assert f"{shown} USD" in html


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_every_interface_language_has_its_own_date_and_time_formats(language: str) -> None:
    english = {name: formats.get_format(name, lang="en")
               for name in ("DATE_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT")}

    for name, value in english.items():
        assert formats.get_format(name, lang=language) != value, (language, name)

