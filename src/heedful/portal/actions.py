"""The portal's own writes: one-time sign-in links and the optional customer password.

Customers are contacts, not Django users. A link proves they read mail at an address we know;
a password (when the site allows it) is a second way in. Only digests and hashes are stored.
"""

from __future__ import annotations

import datetime
import hashlib
import html
import logging
import secrets
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from heedful.core.html import text_to_html
from heedful.core.models import SiteSettings
from heedful.people.actions import find_contact_by_identity
from heedful.people.models import Contact, ContactIdentity
from heedful.portal.models import SignInLink

logger = logging.getLogger(__name__)

LINK_LIFETIME = datetime.timedelta(minutes=30)
# Hashed once so that a sign-in for an unknown address costs what a real check costs.
_DUMMY_PASSWORD_HASH = make_password("heedful-no-such-customer")


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def safe_next_path(path: str | None) -> str:
    """Only a path inside the portal; anything else (other hosts, schemes) is dropped."""
    path = (path or "").strip()
    portal = reverse("portal:home")
    if not path.startswith(portal) or path.startswith("//") or "\\" in path or len(path) > 300:
        return ""
    return path


def contact_for_email(email: str) -> Contact | None:
    contact = find_contact_by_identity(ContactIdentity.Kind.EMAIL, email)
    while contact is not None and contact.merged_into_id is not None:
        contact = contact.merged_into
    return contact


def issue_sign_in_link(*, contact: Contact, email: str, next_path: str = "") -> str:
    """A new single-use link token for `contact`; returns the raw token (never stored)."""
    raw = secrets.token_urlsafe(32)
    SignInLink.objects.create(
        contact=contact, digest=token_digest(raw), email=email[:320],
        next_path=safe_next_path(next_path), expires_at=timezone.now() + LINK_LIFETIME,
    )
    return raw


def sign_in_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("portal:sign_in_link", kwargs={"token": raw_token})


def send_sign_in_link(*, contact: Contact, email: str, next_path: str = "") -> None:
    """Issue a link and mail it to `email`, in the contact's language. Call it outside a
    transaction (the link row must exist when the mail arrives). A mail failure is logged, not
    shown: the visitor sees the same answer whatever happens."""
    raw = issue_sign_in_link(contact=contact, email=email, next_path=next_path)
    site = SiteSettings.current()
    language = contact.language or translation.get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        subject = _("Your sign-in link for %(site)s") % {"site": site.name}
        body = _(
            "Hello %(name)s,\n\n"
            "Open this link to sign in to %(site)s and follow your requests:\n\n%(url)s\n\n"
            "The link works once and expires in 30 minutes.\n"
            "If you did not ask for it, you can ignore this message.\n"
        ) % {"name": contact.name or email, "site": site.name, "url": sign_in_url(raw)}
    # The same words as HTML, with the link clickable in clients that do not link plain text.
    link = html.escape(sign_in_url(raw))
    html_body = text_to_html(body).replace(link, f'<a href="{link}">{link}</a>', 1)

    try:
        send_mail(subject, body, None, [email], html_message=html_body)
    except Exception:  # SMTP trouble must not tell the visitor anything different
        logger.exception("could not send a portal sign-in link to contact %s", contact.pk)


def find_usable_link(raw_token: str) -> SignInLink | None:
    if not raw_token or len(raw_token) > 200:
        return None
    link = (
        SignInLink.objects.select_related("contact")
        .filter(digest=token_digest(raw_token), used_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    return link


def redeem_sign_in_link(raw_token: str) -> SignInLink | None:
    """Burn the link and return it, or None when it is unknown, used or expired."""
    if not raw_token or len(raw_token) > 200:
        return None
    now = timezone.now()
    with transaction.atomic():
        link = (
            SignInLink.objects.select_for_update()
            .select_related("contact")
            .filter(digest=token_digest(raw_token), used_at__isnull=True, expires_at__gt=now)
            .first()
        )
        if link is None:
            return None
        link.used_at = now
        link.save(update_fields=["used_at"])
    return link


def authenticate_contact(email: str, password: str) -> Contact | None:
    contact = contact_for_email(email)
    if contact is None or not contact.password:
        check_password(password, _DUMMY_PASSWORD_HASH)
        return None
    if not check_password(password, contact.password):
        return None
    return contact


def check_portal_password(*, contact: Contact, password: str) -> None:
    """Django's password validators, with the contact's name and address as attributes."""
    email = contact.primary_email
    person: Any = SimpleNamespace(username=email, email=email, first_name=contact.name, last_name="")
    validate_password(password, user=person)


def set_portal_password(*, contact: Contact, password: str) -> None:
    check_portal_password(contact=contact, password=password)
    contact.password = make_password(password)
    Contact.objects.filter(pk=contact.pk).update(password=contact.password, updated_at=timezone.now())
