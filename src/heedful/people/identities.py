"""Normalising identity values so that one person is one contact however they write it."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from heedful.core.errors import Invalid
from heedful.people.models import ContactIdentity

_PHONE_JUNK = re.compile(r"[\s().\-/]")


def normalize_identity(kind: str, value: str) -> str:
    """The comparable form of an identity, or Invalid with a message naming the problem."""
    raw = (value or "").strip()
    if not raw:
        raise Invalid(_("An identity needs a value."), fields={"value": [_("This is required.")]})
    if kind == ContactIdentity.Kind.EMAIL:
        try:
            validate_email(raw)
        except ValidationError:
            raise Invalid(
                _("%(value)s is not an e-mail address.") % {"value": raw},
                fields={"value": [_("Enter a valid e-mail address.")]},
            ) from None
        local, _at, domain = raw.rpartition("@")
        return f"{local.lower()}@{domain.lower().encode('idna').decode('ascii')}"
    if kind == ContactIdentity.Kind.PHONE:
        digits = _PHONE_JUNK.sub("", raw)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if not re.fullmatch(r"\+?\d{3,20}", digits):
            raise Invalid(
                _("%(value)s is not a phone number.") % {"value": raw},
                fields={"value": [_("Use digits, optionally starting with +.")]},
            )
        return digits
    if kind == ContactIdentity.Kind.SOCIAL:
        return raw.lower().lstrip("@")
    if kind == ContactIdentity.Kind.CHAT:
        return raw
    raise Invalid(
        _("Unknown identity kind %(kind)s.") % {"kind": kind},
        fields={"kind": [_("Use one of: email, phone, chat, social.")]},
    )
