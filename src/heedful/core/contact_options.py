"""The one way to change the site settings: the name of the help desk, the ways customers can
reach the team (shown on every portal page) and what the portal lets customers do."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.changes import apply_changes, refuse_unknown
from heedful.core.errors import Invalid
from heedful.core.models import SiteSettings

TEXT_LIMITS = {"name": 200, "support_email": 254, "support_phone": 40, "phone_hours": 200}
SWITCHES = ("chat_enabled", "portal_passwords_enabled", "organization_managers_see_tickets")
EDITABLE = frozenset({*TEXT_LIMITS, *SWITCHES})
_PHONE = re.compile(r"\+?[0-9 ()./-]+")


def clean_contact_options(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        cleaned[name] = " ".join(str(values.get(name) or "").split())
        if len(cleaned[name]) > limit:
            errors[name] = [_("At most %(count)s characters.") % {"count": limit}]
    if not cleaned["name"]:
        errors["name"] = [_("Give the help desk a name customers will recognise.")]
    if cleaned["support_email"] and "support_email" not in errors:
        try:
            validate_email(cleaned["support_email"])
        except ValidationError:
            errors["support_email"] = [_("Enter an e-mail address, like help@example.com, or "
                                         "leave it empty.")]
    phone = cleaned["support_phone"]
    if phone and "support_phone" not in errors and (
        not _PHONE.fullmatch(phone) or not any(c.isdigit() for c in phone)
    ):
        errors["support_phone"] = [_("Enter a phone number customers can dial, like +1 555 0100.")]
    if errors:
        raise Invalid(_("The settings were not saved: see the marked fields."), fields=errors)
    return {**cleaned, **{name: bool(values.get(name)) for name in SWITCHES}}


def update_contact_options(*, actor: Any, changes: dict[str, Any]) -> SiteSettings:
    """Change some of the site settings; the others stay."""
    refuse_unknown(changes, EDITABLE)
    with transaction.atomic():
        site = SiteSettings.objects.select_for_update().filter(pk=SiteSettings.current().pk).get()
        current = {name: getattr(site, name) for name in EDITABLE}
        changed = apply_changes(site, clean_contact_options({**current, **changes}))
        if changed:
            site.save()
            record_audit(actor=actor, action="site_settings.update", target=site,
                         details={"changes": changed})
    return site
