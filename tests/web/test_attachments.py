from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from heedful.tickets.models import Attachment
from tests.factories import TeamFactory, make_agent, make_ticket, upload

pytestmark = pytest.mark.django_db


def test_uploaded_attachment_downloads_as_a_safe_attachment(agent_client, ticket):
    files = [SimpleUploadedFile("evil.html", b"<script>alert(1)</script>", content_type="text/html"),
             SimpleUploadedFile("notes.txt", b"plain", content_type="text/plain")]
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "See attached", "mode": "reply", "attachments": files})
    assert response.status_code == 302
    stored = Attachment.objects.get(filename="evil.html")
    assert Attachment.objects.count() == 2
    html = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f"/attachments/{stored.pk}/" in html
    download = agent_client.get(f"/attachments/{stored.pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "application/octet-stream"
    assert b"".join(download.streaming_content) == b"<script>alert(1)</script>"


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_oversized_upload_is_413_and_the_typed_text_is_kept(agent_client, ticket):
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = agent_client.post(f"/tickets/{ticket.number}/reply/",
                                 {"body": "My carefully typed answer", "mode": "note", "attachments": [big]})
    assert response.status_code == 413
    html = response.content.decode()
    assert "larger than the limit" in html
    assert "My carefully typed answer</textarea>" in html
    assert 'value="note" checked' in html
    assert ticket.events.count() == 1


@override_settings(ATTACHMENT_MAX_BYTES=10)
def test_oversized_upload_over_fetch_is_a_413_json_error(agent_client, ticket):
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    response = agent_client.post(f"/tickets/{ticket.number}/reply/", {"body": "Hi", "attachments": [big]},
                                 HTTP_X_HEEDFUL_PARTIAL="1")
    assert response.status_code == 413 and response.json()["error"]["code"] == "too_large"


def test_restricted_agent_gets_404_on_another_teams_attachment(client, contact):
    theirs = TeamFactory()
    ticket = make_ticket(requester=contact, team=theirs, attachments=[upload()])
    agent = make_agent(teams=[TeamFactory()], restricted=True)
    client.force_login(agent.user)
    assert client.get(f"/attachments/{ticket.attachments.get().pk}/").status_code == 404
    assert client.get("/attachments/999999/").status_code == 404


def test_anonymous_visitor_cannot_download(client, contact):
    ticket = make_ticket(requester=contact, attachments=[upload()])
    response = client.get(f"/attachments/{ticket.attachments.get().pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
