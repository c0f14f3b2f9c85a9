"""Which contact a browser session belongs to: signing in, signing out, and reading it back."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.middleware.csrf import rotate_token
from django.urls import reverse

from heedful.people.models import Contact

SESSION_KEY = "portal_contact_id"


def sign_in(request: HttpRequest, contact: Contact) -> None:
    # A new session key and CSRF token: nothing fixed before sign-in survives it.
    request.session.cycle_key()
    request.session[SESSION_KEY] = contact.pk
    rotate_token(request)
    request.contact = contact  # type: ignore[attr-defined]


def sign_out(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    request.contact = None  # type: ignore[attr-defined]


def contact_from_session(request: HttpRequest) -> Contact | None:
    session = getattr(request, "session", None)
    if session is None:
        return None
    contact_id = session.get(SESSION_KEY)
    if not isinstance(contact_id, int):
        return None
    contact = Contact.objects.select_related("organization").filter(pk=contact_id).first()
    seen = 0
    while contact is not None and contact.merged_into_id is not None and seen < 5:
        # Merged away since sign-in: follow to the contact that holds everything now.
        contact = Contact.objects.select_related("organization").filter(pk=contact.merged_into_id).first()
        seen += 1
    if contact is None:
        session.pop(SESSION_KEY, None)
    return contact


def contact_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Send visitors who are not signed in to the sign-in page, then back here."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "contact", None) is None:
            target = reverse("portal:sign_in") + "?" + urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(target)
        return view(request, *args, **kwargs)

    return wrapper
