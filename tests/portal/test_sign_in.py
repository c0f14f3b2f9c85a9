from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.hashers import make_password
from django.core import mail
from django.utils import timezone

from heedful.core.models import SiteSettings
from heedful.portal.actions import token_digest
from heedful.portal.models import SignInLink
from tests.factories import make_contact
from tests.portal.conftest import link_tokens

pytestmark = pytest.mark.django_db

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
PASSWORD = "a-long-unusual-passphrase-42"


def request_link(client, email="carol@example.org"):
    return client.post("/portal/sign-in/", {"email": email})


def test_sign_in_link_flow_confirm_then_single_use(client, contact, settings):
    settings.BASE_URL = "https://help.example.com"
    response = request_link(client)
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol@example.org"]
    assert "https://help.example.com/portal/sign-in/" in mail.outbox[0].body
    (token,) = link_tokens()
    (html_body, kind) = mail.outbox[0].alternatives[0]
    link = f"https://help.example.com/portal/sign-in/{token}/"
    assert kind == "text/html" and f'<a href="{link}">{link}</a>' in html_body
    url = f"/portal/sign-in/{token}/"

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert confirm["Referrer-Policy"] == "same-origin"
    assert "portal_contact_id" not in client.session
    assert SignInLink.objects.get().used_at is None

    session_before = client.session.session_key
    signed = client.post(url)
    assert signed.status_code == 302
    assert client.session["portal_contact_id"] == contact.pk
    assert client.session.session_key != session_before
    assert "My requests" in client.get("/portal/").content.decode()

    client.post("/portal/sign-out/")
    reused = client.post(url)
    assert reused.status_code == 400
    assert "portal_contact_id" not in client.session


def test_only_the_digest_of_the_token_is_stored(client, contact):
    request_link(client)
    (token,) = link_tokens()
    link = SignInLink.objects.get()
    assert link.digest == token_digest(token) and token not in link.digest
    assert link.contact == contact


def test_expired_link_does_not_sign_in(client, contact):
    request_link(client)
    (token,) = link_tokens()
    SignInLink.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(f"/portal/sign-in/{token}/").status_code == 400
    assert client.post(f"/portal/sign-in/{token}/").status_code == 400
    assert "portal_contact_id" not in client.session


def test_link_expires_thirty_minutes_after_it_is_issued(client, contact):
    request_link(client)
    link = SignInLink.objects.get()
    assert link.expires_at - link.created_at == pytest.approx(datetime.timedelta(minutes=30),
                                                             abs=datetime.timedelta(seconds=5))


def test_unknown_token_is_refused_not_an_error(client, db):
    assert client.get("/portal/sign-in/nonsense/").status_code == 400
    assert client.post("/portal/sign-in/" + "x" * 500 + "/").status_code == 400


def test_unknown_address_gets_the_same_answer_and_no_mail(client, contact):
    known = request_link(client, "carol@example.org")
    unknown = request_link(client, "nobody@example.org")
    assert known.status_code == unknown.status_code == 200
    def page(response, email):
        return CSRF.sub("", response.content.decode().replace(email, "X"))

    assert page(known, "carol@example.org") == page(unknown, "nobody@example.org")
    assert len(mail.outbox) == 1
    assert SignInLink.objects.count() == 1


def test_sign_in_does_not_create_contacts(client, db):
    from heedful.people.models import Contact

    request_link(client, "stranger@example.org")
    assert not Contact.objects.exists()


def test_invalid_address_is_a_form_error(client, db):
    response = request_link(client, "not-an-address")
    assert response.status_code == 400
    assert "valid email" in response.content.decode().lower()


def test_link_requests_are_throttled(client, contact, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 3
    for _ in range(3):
        assert request_link(client).status_code == 200
    throttled = request_link(client)
    assert throttled.status_code == 429
    assert "Too many attempts" in throttled.content.decode()
    assert len(mail.outbox) == 3


def test_link_requests_for_unknown_addresses_are_throttled_alike(client, db, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    request_link(client, "ghost@example.org")
    request_link(client, "ghost@example.org")
    assert request_link(client, "ghost@example.org").status_code == 429


def test_link_leads_back_to_the_page_asked_for(client, contact):
    client.post("/portal/sign-in/", {"email": "carol@example.org", "next": "/portal/profile/"})
    (token,) = link_tokens()
    assert client.post(f"/portal/sign-in/{token}/")["Location"] == "/portal/profile/"


def test_link_never_leads_off_site(client, contact):
    client.post("/portal/sign-in/", {"email": "carol@example.org", "next": "https://evil.example/"})
    (token,) = link_tokens()
    assert client.post(f"/portal/sign-in/{token}/")["Location"] == "/portal/"


def password_contact():
    contact = make_contact(email="pat@example.org", name="Pat")
    contact.password = make_password(PASSWORD)
    contact.save()
    return contact


def test_password_sign_in(client, db):
    contact = password_contact()
    response = client.post("/portal/sign-in/password/", {"email": "PAT@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["portal_contact_id"] == contact.pk


def test_wrong_password_is_refused_with_a_message(client, db):
    password_contact()
    response = client.post("/portal/sign-in/password/", {"email": "pat@example.org", "password": "nope"})
    assert response.status_code == 400
    assert "do not match" in response.content.decode()
    assert "portal_contact_id" not in client.session


def test_password_sign_in_is_throttled(client, db, settings):
    settings.LOGIN_ATTEMPTS_LIMIT = 2
    password_contact()
    for _ in range(2):
        client.post("/portal/sign-in/password/", {"email": "pat@example.org", "password": "nope"})
    response = client.post("/portal/sign-in/password/", {"email": "pat@example.org", "password": PASSWORD})
    assert response.status_code == 429
    assert "portal_contact_id" not in client.session


def test_password_sign_in_is_off_when_the_site_disables_passwords(client, db):
    password_contact()
    SiteSettings.objects.update_or_create(pk=1, defaults={"portal_passwords_enabled": False})
    response = client.post("/portal/sign-in/password/", {"email": "pat@example.org", "password": PASSWORD})
    assert response.status_code == 404
    assert "Sign in with a password" not in client.get("/portal/sign-in/").content.decode()


def test_contact_without_password_cannot_sign_in_with_an_empty_one(client, contact):
    response = client.post("/portal/sign-in/password/", {"email": "carol@example.org", "password": ""})
    assert response.status_code == 400
    assert "portal_contact_id" not in client.session


def test_sign_out_needs_post(customer_client):
    assert customer_client.get("/portal/sign-out/").status_code == 405
    assert customer_client.post("/portal/sign-out/").status_code == 302
    assert "portal_contact_id" not in customer_client.session


def test_pages_for_customers_send_visitors_to_sign_in(client, db):
    response = client.get("/portal/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/portal/sign-in/?next=")
