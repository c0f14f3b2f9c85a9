from __future__ import annotations

import re

import pytest

from heedful.mail.intake import accept_raw
from heedful.mail.models import RawMessage
from tests.mail.helpers import raw_mail

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def html_mail_with_inline_image() -> bytes:
    from email import policy
    from email.message import EmailMessage

    message = EmailMessage()
    message["From"] = "Carol <carol@example.org>"
    message["To"] = "support@heedful.test"
    message["Subject"] = "Screenshot of the error"
    message["Message-ID"] = "<inline-1@client.example>"
    message.set_content("See the screenshot.")
    message.add_alternative('<p>See the screenshot:</p><img src="cid:shot1@client" alt="error">',
                            subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, maintype="image", subtype="png", cid="<shot1@client>",
                          filename="shot.png")
    return message.as_bytes(policy=policy.SMTP)


def test_inline_image_is_shown_from_its_attachment_to_agents_and_customer(
    agent_client, client, run_tasks
):
    accepted = accept_raw(html_mail_with_inline_image(), via=RawMessage.Via.HTTP)
    run_tasks()
    record = RawMessage.objects.get(pk=accepted.raw.pk)
    ticket = record.ticket
    attachment = ticket.attachments.get()
    assert attachment.content_id == "shot1@client"

    page = agent_client.get(f"/tickets/{ticket.number}/").content.decode()
    assert f'src="/attachments/{attachment.pk}/?inline=1"' in page
    image = agent_client.get(f"/attachments/{attachment.pk}/?inline=1")
    assert image["Content-Type"] == "image/png" and b"".join(image.streaming_content) == PNG

    session = client.session
    session["portal_contact_id"] = ticket.requester_id
    session.save()
    portal = client.get(f"/portal/tickets/{ticket.number}/").content.decode()
    assert re.search(rf'src="/portal/attachments/{attachment.pk}/\?inline=1"', portal)


def test_plain_mail_without_images_is_unchanged(agent_client, run_tasks):
    accepted = accept_raw(raw_mail(html="<p>Hello <b>there</b></p>"), via=RawMessage.Via.HTTP)
    run_tasks()
    ticket = RawMessage.objects.get(pk=accepted.raw.pk).ticket
    assert "<b>there</b>" in agent_client.get(f"/tickets/{ticket.number}/").content.decode()
