from __future__ import annotations

import re

import pytest

from tests.factories import SavedReplyFactory, agent_reply, customer_reply

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def assert_safe_page(response):
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), "inline <script> found"
    assert " style=" not in html, "inline style attribute found"
    assert "<style" not in html


def test_pages_send_csp_and_have_no_inline_scripts_or_styles(client, agent_client, agent, ticket):
    SavedReplyFactory()
    agent_reply(ticket, agent, body_html='<p style="color:red" onclick="x()">Hi</p><script>bad()</script>',
                body="Hi")
    customer_reply(ticket, body="Thanks")
    for url in ["/", "/?queue=all", f"/tickets/{ticket.number}/"]:
        assert_safe_page(agent_client.get(url))
    client.logout()
    assert_safe_page(client.get("/login/"))


def test_every_page_has_a_language_switcher_and_skip_link(agent_client, ticket):
    for url in ["/", f"/tickets/{ticket.number}/"]:
        html = agent_client.get(url).content.decode()
        assert 'action="/i18n/setlang/"' in html and 'value="lo"' in html
        assert 'class="skip-link" href="#main"' in html
        assert 'aria-live="polite"' in html


def test_times_render_in_the_agents_time_zone(client, agent, ticket):
    agent.timezone = "Asia/Kolkata"
    agent.save()
    client.force_login(agent.user)
    html = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert re.search(r'<time datetime="[^"]+\+00:00" title="[^"]+"', html)
    assert client.get(f"/tickets/{ticket.number}/").context["TIME_ZONE"] == "Asia/Kolkata"
