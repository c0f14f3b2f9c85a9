from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from heedful.core.models import SiteSettings
from heedful.tickets.models import Ticket
from tests.factories import make_agent, make_ticket

pytestmark = pytest.mark.django_db


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_demo_adds_tickets_and_prints_sign_ins_that_work() -> None:
    output = run_demo("--tickets", "12", "--seed", "2")

    assert Ticket.objects.count() == 12
    password = re.search(r"with the password (\S+):", output).group(1)
    emails = re.findall(r"^\s+(\S+@heedful\.localhost)\s", output, flags=re.MULTILINE)
    assert "admin@heedful.localhost" in emails and len(emails) >= 3
    for email in emails:
        assert authenticate(username=email, password=password) is not None, email
    assert "/portal/" in output


def test_demo_fills_the_contact_options_customers_see() -> None:
    run_demo("--tickets", "1")

    site = SiteSettings.current()
    assert site.support_phone == "+1 555 0100"
    assert site.support_email


def test_demo_keeps_contact_options_an_admin_set() -> None:
    site = SiteSettings.current()
    site.support_phone = "+44 20 7946 0000"
    site.save()

    run_demo("--tickets", "1")

    assert SiteSettings.current().support_phone == "+44 20 7946 0000"


def test_if_empty_does_nothing_when_tickets_exist() -> None:
    make_ticket()

    output = run_demo("--tickets", "10", "--if-empty")

    assert Ticket.objects.count() == 1
    assert "already holds tickets" in output


def test_if_empty_fills_an_empty_database() -> None:
    run_demo("--tickets", "5", "--if-empty")

    assert Ticket.objects.count() == 5


def test_running_twice_adds_tickets_without_tripping_over_the_demo_people() -> None:
    run_demo("--tickets", "5")
    run_demo("--tickets", "5")

    assert Ticket.objects.count() == 10


def test_an_existing_account_keeps_its_password_and_says_so() -> None:
    make_agent(email="admin@heedful.localhost", role="admin", password="my-own-secret-1")

    output = run_demo("--tickets", "1")

    assert "password unchanged" in output
    assert authenticate(username="admin@heedful.localhost", password="my-own-secret-1") is not None


def test_negative_ticket_count_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="zero or more"):
        run_demo("--tickets", "-3")
