"""The one way to set up mailboxes from the agent UI: addresses, IMAP polling, acknowledgements.

The IMAP password is stored encrypted (mail/crypto.py) and never handed back: not to forms, not
to the audit log, which only says that it was changed or removed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.changes import apply_changes, plain, refuse_unknown
from heedful.core.errors import ErrorCode, HeedfulError, Invalid
from heedful.mail.crypto import encrypt_secret
from heedful.mail.models import Mailbox
from heedful.people.models import Team

FIELDS = ("name", "address", "from_name", "team", "auto_acknowledge", "active", "imap_host",
          "imap_port", "imap_ssl", "imap_username", "imap_folder", "after_import", "move_to_folder")
# "imap_password": a new password, or None to remove the stored one; absent keeps it.
EDITABLE = frozenset({*FIELDS, "imap_password"})
DEFAULTS: dict[str, Any] = {
    "name": "", "address": "", "from_name": "", "team": None, "auto_acknowledge": True,
    "active": True, "imap_host": "", "imap_port": 993, "imap_ssl": True, "imap_username": "",
    "imap_folder": "INBOX", "after_import": Mailbox.AfterImport.FLAG, "move_to_folder": "",
}


def _text(values: dict[str, Any], name: str, limit: int, errors: dict[str, list[str]]) -> str:
    value = str(values.get(name) or "").strip()
    if len(value) > limit:
        errors[name] = [_("At most %(count)s characters.") % {"count": limit}]
    return value


def _clean_address(values: dict[str, Any], mailbox: Mailbox | None,
                   errors: dict[str, list[str]]) -> str:
    address = str(values.get("address") or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        errors["address"] = [_("Enter the e-mail address customers write to, like help@example.com.")]
        return address
    clash = Mailbox.objects.filter(address__iexact=address)
    if mailbox is not None:
        clash = clash.exclude(pk=mailbox.pk)
    if clash.exists():
        errors["address"] = [_("Another mailbox already receives mail for this address.")]
    return address


def _clean_imap(values: dict[str, Any], errors: dict[str, list[str]]) -> dict[str, Any]:
    host = _text(values, "imap_host", 200, errors)
    if host and ("/" in host or " " in host or ":" in host):
        errors["imap_host"] = [_("Enter the host name only, like imap.example.com; the port has "
                                 "its own field.")]
    port = values.get("imap_port")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        errors["imap_port"] = [_("Use a port number from 1 to 65535 (993 for IMAP over TLS).")]
    username = _text(values, "imap_username", 200, errors)
    if host and not username:
        errors["imap_username"] = [_("The IMAP server needs the user to sign in as.")]
    folder = _text(values, "imap_folder", 200, errors)
    if not folder:
        errors["imap_folder"] = [_("Name the folder to read, usually INBOX.")]
    after = values.get("after_import")
    if after not in Mailbox.AfterImport.values:
        errors["after_import"] = [_("Choose what happens to imported messages.")]
    move_to = _text(values, "move_to_folder", 200, errors)
    if after == Mailbox.AfterImport.MOVE and not move_to:
        errors["move_to_folder"] = [_("Name the folder to move imported messages to.")]
    return {"imap_host": host, "imap_port": port, "imap_username": username,
            "imap_folder": folder, "after_import": after, "move_to_folder": move_to,
            "imap_ssl": bool(values.get("imap_ssl"))}


def clean_mailbox(values: dict[str, Any], *, mailbox: Mailbox | None) -> dict[str, Any]:
    """Every field checked at once, so that a form shows each problem beside its field."""
    errors: dict[str, list[str]] = {}
    name = " ".join(_text(values, "name", 100, errors).split())
    if not name and "name" not in errors:
        errors["name"] = [_("Give the mailbox a name agents will recognise, like Support.")]
    cleaned = {
        "name": name, "address": _clean_address(values, mailbox, errors),
        "from_name": _text(values, "from_name", 100, errors), "team": values.get("team"),
        "auto_acknowledge": bool(values.get("auto_acknowledge")),
        "active": bool(values.get("active")), **_clean_imap(values, errors),
    }
    if cleaned["team"] is not None and not isinstance(cleaned["team"], Team):
        errors["team"] = [_("Choose a team from the list.")]
    password = values.get("imap_password")
    if password is not None and (not isinstance(password, str) or not password or len(password) > 500):
        errors["imap_password"] = [_("Enter the password, at most 500 characters.")]
    if errors:
        raise Invalid(_("The mailbox was not saved: see the marked fields."), fields=errors)
    return cleaned


def _address_taken() -> HeedfulError:
    return HeedfulError(ErrorCode.CONFLICT, _("The mailbox was not saved: see the marked fields."),
                        fields={"address": [_("Another mailbox already receives mail for this address.")]})


def create_mailbox(*, actor: Any, imap_password: str = "", **values: Any) -> Mailbox:
    refuse_unknown(values, frozenset(FIELDS))
    given = {**DEFAULTS, **values}
    if imap_password:
        given["imap_password"] = imap_password
    cleaned = clean_mailbox(given, mailbox=None)
    try:
        with transaction.atomic():
            mailbox = Mailbox.objects.create(
                imap_password_encrypted=encrypt_secret(imap_password), **cleaned)
            details = {k: plain(v) for k, v in cleaned.items()}
            record_audit(actor=actor, action="mailbox.create", target=mailbox,
                         details={**details, "imap_password": "set" if imap_password else "none"})
    except IntegrityError:  # created by another request a moment ago
        raise _address_taken() from None
    return mailbox


def update_mailbox(*, mailbox: Mailbox, actor: Any, changes: dict[str, Any]) -> Mailbox:
    """Change some fields; deactivating is {"active": False}. A new password replaces the stored
    one, None removes it."""
    refuse_unknown(changes, EDITABLE)
    current = {name: getattr(mailbox, name) for name in FIELDS}
    cleaned = clean_mailbox({**current, **changes}, mailbox=mailbox)
    with transaction.atomic():
        changed = apply_changes(mailbox, cleaned)
        if "imap_password" in changes:
            new = changes["imap_password"]
            if new is None and mailbox.imap_password_encrypted:
                mailbox.imap_password_encrypted = ""
                changed["imap_password"] = {"after": "removed"}
            elif new is not None:
                mailbox.imap_password_encrypted = encrypt_secret(new)
                changed["imap_password"] = {"after": "changed"}
        if changed:
            try:
                with transaction.atomic():
                    mailbox.save()
            except IntegrityError:
                raise _address_taken() from None
            record_audit(actor=actor, action="mailbox.update", target=mailbox,
                         details={"changes": changed})
    return mailbox
