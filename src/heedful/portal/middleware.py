"""Sets request.contact (the signed-in customer, or None) and their preferred language."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from heedful.portal.session import contact_from_session


class PortalContactMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        contact = contact_from_session(request)
        request.contact = contact  # type: ignore[attr-defined]
        # The language switcher (a cookie) wins; otherwise the contact's preference.
        if (
            contact is not None
            and contact.language in self.languages
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
        ):
            translation.activate(contact.language)
            request.LANGUAGE_CODE = contact.language
        return self.get_response(request)
