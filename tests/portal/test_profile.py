from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password

from heedful.core.models import SiteSettings
from heedful.people.models import Contact
from tests.factories import make_contact

pytestmark = pytest.mark.django_db

GOOD_PASSWORD = "violet-anchor-tramway-77"


def test_profile_updates_name_language_and_time_zone(customer_client, contact):
    html = customer_client.get("/portal/profile/").content.decode()
    assert "Asia/Tokyo" in html and "carol@example.org" in html
    response = customer_client.post("/portal/profile/", {
        "name": "Carol C.", "language": "eo", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.name, contact.language, contact.timezone) == ("Carol C.", "eo", "Asia/Tokyo")


def test_unknown_time_zone_or_language_is_a_400(customer_client, contact):
    response = customer_client.post("/portal/profile/", {"name": "C", "timezone": "Mars/Olympus"})
    assert response.status_code == 400
    response = customer_client.post("/portal/profile/", {"name": "C", "language": "xx"})
    assert response.status_code == 400
    contact.refresh_from_db()
    assert contact.timezone == "" and contact.language == ""


def test_contacts_language_is_used_when_no_language_was_chosen(client, db):
    from tests.portal.conftest import signed_in

    contact = make_contact(language="eo")
    response = signed_in(client, contact).get("/portal/")
    assert response.headers["Content-Language"] == "eo"


def test_set_password_then_sign_in_with_it(customer_client, contact, client):
    response = customer_client.post("/portal/profile/password/", {
        "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert check_password(GOOD_PASSWORD, contact.password)
    customer_client.post("/portal/sign-out/")
    signed = customer_client.post("/portal/sign-in/password/", {
        "email": "carol@example.org", "password": GOOD_PASSWORD})
    assert signed.status_code == 302


def test_weak_password_is_refused_by_djangos_validators(customer_client, contact):
    response = customer_client.post("/portal/profile/password/", {"password1": "123", "password2": "123"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).password == ""


def test_mismatched_passwords_are_refused(customer_client):
    response = customer_client.post("/portal/profile/password/", {
        "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD + "x"})
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()


def test_setting_a_password_is_off_when_the_site_disables_it(customer_client):
    SiteSettings.objects.update_or_create(pk=1, defaults={"portal_passwords_enabled": False})
    assert "Set a password" not in customer_client.get("/portal/profile/").content.decode()
    response = customer_client.post("/portal/profile/password/", {
        "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
    assert response.status_code == 404


def test_a_deleted_contacts_session_is_simply_signed_out(client, db):
    from tests.portal.conftest import signed_in

    contact = make_contact()
    signed_in(client, contact)
    Contact.objects.filter(pk=contact.pk).delete()
    response = client.get("/portal/")
    assert response.status_code == 200 and "Sign in" in response.content.decode()
