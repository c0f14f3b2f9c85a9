"""POST /mail/inbound: raw messages over HTTP, stored before 202, refused with clear JSON errors."""

from __future__ import annotations

import pytest

from heedful.mail.models import Mailbox, RawMessage
from heedful.people.tokens import issue_token, revoke_token
from heedful.tickets.models import Ticket
from tests.factories import make_agent
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db

URL = "/mail/inbound"
TOKEN = "intake-secret-123"


@pytest.fixture
def intake_token(settings):
    settings.MAIL_INTAKE_TOKEN = TOKEN
    return TOKEN


def post(client, raw: bytes, *, token: str = TOKEN, query: str = "",
         content_type: str = "message/rfc822"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.generic("POST", URL + query, raw, content_type=content_type, headers=headers)


def error_code(response) -> str:
    body = response.json()
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]["code"]


def test_raw_message_is_stored_then_202_and_becomes_a_ticket(client, intake_token, run_tasks):
    raw = raw_mail(message_id="<http-1@client.example>", subject="Over HTTP")
    response = post(client, raw, query="?from=carol@example.org&to=support@heedful.test")
    assert response.status_code == 202
    body = response.json()
    assert body["duplicate"] is False and body["message_id"] == "<http-1@client.example>"
    record = RawMessage.objects.get(pk=body["id"])
    assert record.via == RawMessage.Via.HTTP and record.envelope_from == "carol@example.org"
    assert record.envelope_to == ["support@heedful.test"]
    run_tasks()
    assert Ticket.objects.get().subject == "Over HTTP"


def test_same_bytes_again_answer_duplicate_and_store_nothing_new(client, intake_token):
    raw = raw_mail()
    first = post(client, raw, content_type="application/octet-stream").json()
    second = post(client, raw).json()
    assert second == {**first, "duplicate": True}
    assert RawMessage.objects.count() == 1


def test_mailbox_parameter_assigns_the_mailbox(client, intake_token):
    mailbox = Mailbox.objects.create(name="Sales", address="sales@heedful.test")
    response = post(client, raw_mail(), query="?mailbox=SALES@heedful.test")
    assert response.status_code == 202
    assert RawMessage.objects.get().mailbox == mailbox


def test_recipient_decides_the_mailbox_when_none_is_named(client, intake_token):
    mailbox = Mailbox.objects.create(name="Sales", address="sales@heedful.test")
    post(client, raw_mail(), query="?to=sales%2Bt123@heedful.test,other@example.org")
    record = RawMessage.objects.get()
    assert record.mailbox == mailbox
    assert record.envelope_to == ["sales+t123@heedful.test", "other@example.org"]


def test_unknown_mailbox_is_a_400(client, intake_token):
    response = post(client, raw_mail(), query="?mailbox=nobody@heedful.test")
    assert response.status_code == 400 and error_code(response) == "invalid"
    assert "mailbox" in response.json()["error"]["fields"]
    assert not RawMessage.objects.exists()


@pytest.mark.parametrize("token", ["", "wrong-token", "intake-secret-1234"])
def test_missing_or_wrong_token_is_a_401(client, intake_token, token):
    response = post(client, raw_mail(), token=token)
    assert response.status_code == 401 and error_code(response) == "permission_denied"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not RawMessage.objects.exists()


def test_other_scheme_is_a_401(client, intake_token):
    response = client.generic("POST", URL, raw_mail(), content_type="message/rfc822",
                              headers={"Authorization": f"Basic {TOKEN}"})
    assert response.status_code == 401


def test_agent_api_token_works_when_no_intake_token_is_set(client, settings):
    settings.MAIL_INTAKE_TOKEN = ""
    token = issue_token(agent=make_agent(), name="postfix")
    assert post(client, raw_mail(), token=token).status_code == 202
    assert post(client, raw_mail(), token="hdf_not-a-real-token").status_code == 401


def test_revoked_agent_token_is_a_401(client, settings):
    settings.MAIL_INTAKE_TOKEN = ""
    agent = make_agent()
    token = issue_token(agent=agent)
    revoke_token(agent.api_tokens.get())
    assert post(client, raw_mail(), token=token).status_code == 401


def test_agent_token_is_refused_when_an_intake_token_is_set(client, intake_token):
    token = issue_token(agent=make_agent())
    assert post(client, raw_mail(), token=token).status_code == 401


def test_oversized_message_is_a_413_and_not_stored(client, intake_token, settings):
    settings.MAIL_MAX_BYTES = 3000
    response = post(client, raw_mail(body="words and more words\n" * 400))
    assert response.status_code == 413 and error_code(response) == "too_large"
    assert not RawMessage.objects.exists()


def test_message_larger_than_djangos_form_limit_is_accepted(client, intake_token, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000  # the form limit does not apply to raw mail
    response = post(client, raw_mail(body="a long story\n" * 500))
    assert response.status_code == 202


@pytest.mark.parametrize("body", [b" ", b"   \r\n\r\n"])
def test_empty_body_is_a_400(client, intake_token, body):
    response = post(client, body)
    assert response.status_code == 400 and error_code(response) == "invalid"


def test_wrong_content_type_is_a_415(client, intake_token):
    response = post(client, raw_mail(), content_type="application/json")
    assert response.status_code == 415 and error_code(response) == "invalid"


def test_get_is_a_405(client, intake_token):
    response = client.get(URL, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_garbage_bytes_are_stored_not_a_500(client, intake_token, run_tasks):
    response = post(client, b"\x00\xff\xfe not mail at all \x80" * 50,
                    query="?from=%00%ff&to=%%%")
    assert response.status_code == 202
    run_tasks()
    record = RawMessage.objects.get()
    assert record.state in {RawMessage.State.PROCESSED, RawMessage.State.FAILED}
    assert record.ticket is not None


def test_no_csrf_token_is_needed(intake_token):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert post(strict, raw_mail()).status_code == 202
