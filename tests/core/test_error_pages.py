"""Pages a person meets by accident look like the product and lead home; the API keeps JSON."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.core.error_urls"


def links_home(response: Any) -> bool:
    html = response.content.decode()
    return 'href="/portal/" data-home="portal"' in html and 'href="/" data-home="inbox"' in html


def test_missing_page_answers_404_with_the_product_page_and_links_home(client: Client) -> None:
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "heedful/app.css" in html and 'class="brand"' in html
    assert "There is no page here" in html
    assert links_home(response)


def test_missing_portal_page_offers_the_help_centre_first(client: Client) -> None:
    html = client.get("/portal/no-such-page/").content.decode()

    assert html.index('data-home="portal"') < html.index('data-home="inbox"')


def test_missing_agent_page_offers_the_inbox_first(client: Client) -> None:
    html = client.get("/tickets/no-such-page/").content.decode()

    assert html.index('data-home="inbox"') < html.index('data-home="portal"')


def test_missing_page_is_in_the_visitors_language(client: Client) -> None:
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="lo")

    assert '<html lang="lo"' in response.content.decode()


def test_server_error_renders_the_product_page(failing_urls: None) -> None:
    response = Client(raise_request_exception=False).get("/broken/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "heedful/app.css" in html
    assert links_home(response)


def test_server_error_page_needs_no_database_or_context_processors() -> None:
    from django.template import loader

    html = loader.get_template("500.html").render({})

    assert "Something went wrong on our side" in html and "Heedful" in html


def test_server_error_in_the_portal_offers_the_help_centre_first(failing_urls: None) -> None:
    html = Client(raise_request_exception=False).get("/portal/broken/").content.decode()

    assert html.index('data-home="portal"') < html.index('data-home="inbox"')


def test_permission_denied_renders_the_product_page(failing_urls: None) -> None:
    response = Client().get("/forbidden/")

    assert response.status_code == 403
    assert "You may not open this page" in response.content.decode()
    assert links_home(response)


def test_bad_request_renders_the_product_page(failing_urls: None) -> None:
    response = Client().get("/suspicious/")

    assert response.status_code == 400
    assert "We could not understand that request" in response.content.decode()
    assert links_home(response)


def test_form_with_a_stale_csrf_token_gets_the_product_page(db: None) -> None:
    response = Client(enforce_csrf_checks=True).post("/login/", {"email": "a@example.org"})

    assert response.status_code == 403
    html = response.content.decode()
    assert "This form has expired" in html and "heedful/app.css" in html
    assert links_home(response)


def test_api_paths_outside_v1_keep_json_404s(client: Client) -> None:
    response = client.get("/api/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_unknown_path_under_v1_keeps_its_json_404(client: Client) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_api_server_error_answers_json(failing_urls: None) -> None:
    response = Client(raise_request_exception=False).get("/api/broken/")

    assert response.status_code == 500
    assert response.json()["error"]["code"] == "server_error"


def test_favicon_ico_answers_an_icon(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # the ICO header


@pytest.mark.parametrize("path", ["/login/", "/portal/"])
def test_agent_and_portal_pages_link_the_icon(client: Client, path: str) -> None:
    html = client.get(path).content.decode()

    assert 'rel="icon" href="/static/heedful/favicon.svg"' in html
    assert 'rel="icon" href="/static/heedful/favicon.png"' in html


@pytest.mark.parametrize("name", ["favicon.svg", "favicon.png", "favicon.ico", "apple-touch-icon.png"])
def test_icon_files_are_served_as_static_files(client: Client, name: str) -> None:
    response = client.get(f"/static/heedful/{name}")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) if response.streaming else response.content
