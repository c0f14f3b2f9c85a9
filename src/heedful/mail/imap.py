"""IMAP/IMAPS polling: fetch new mail from each mailbox, store it, then flag or move it.

For every mailbox we remember UIDVALIDITY and the last UID imported. Each message is stored by
accept_raw (committed) before it is flagged or moved on the server and before the UID advances;
the UID is saved after every message, so a crash re-fetches at most one message, which accept_raw
recognises by its SHA-256 (and processing by its Message-ID). When the server's UIDVALIDITY
changes, UIDs mean nothing any more: we start again from UID 1 and rely on the same dedupe.
"""

from __future__ import annotations

import base64
import contextlib
import imaplib
import logging
import re
import ssl
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from heedful.core.errors import ErrorCode, HeedfulError
from heedful.mail.crypto import decrypt_secret
from heedful.mail.intake import accept_raw
from heedful.mail.models import Mailbox, RawMessage

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
MAX_MESSAGES_PER_RUN = 200  # the rest waits for the next run, so one job never runs for hours
_UID = re.compile(rb"UID (\d+)")
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class FetchProblem(Exception):
    """A failure a person can act on; its text says what to do."""


@dataclass
class FetchResult:
    imported: int = 0
    duplicates: int = 0
    waiting: int = 0
    problems: list[str] = field(default_factory=list)


def fetch_all(mailbox_id: int | None = None) -> list[str]:
    """Fetch every active mailbox that has IMAP settings (or only the one given)."""
    if mailbox_id is not None:
        ids = [mailbox_id]
    else:
        ids = list(Mailbox.objects.filter(active=True).exclude(imap_host="")
                   .order_by("pk").values_list("pk", flat=True))
    if not ids:
        return [_("No active mailbox has IMAP settings: add the IMAP host, user and password of a "
                  "mailbox in the admin.")]
    return [fetch_mailbox_by_id(pk) for pk in ids]


def fetch_mailbox_by_id(mailbox_id: int) -> str:
    """Fetch one mailbox; return one line saying what happened. Never raises for the mailbox's
    own problems: they go to Mailbox.imap_last_error (shown in the admin) and to the line."""
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return _("Mailbox %(id)s does not exist any more.") % {"id": mailbox_id}
    if not mailbox.active or not mailbox.imap_host:
        return _("%(mailbox)s: not fetched (inactive or without IMAP host).") % {"mailbox": mailbox}
    error = ""
    try:
        result = _fetch(mailbox)
    except FetchProblem as problem:
        error = str(problem)
        line = f"{mailbox}: {error}"
        logger.warning("IMAP fetch of mailbox %s failed: %s", mailbox.pk, error)
    except Exception as problem:  # never let one mailbox stop the others
        logger.exception("IMAP fetch of mailbox %s failed", mailbox.pk)
        error = _("unexpected error (%(reason)s): see the server log, then try again.") % {
            "reason": problem.__class__.__name__}
        line = f"{mailbox}: {error}"
    else:
        error = "; ".join(result.problems)
        line = _("%(mailbox)s: %(imported)s new, %(duplicates)s already known") % {
            "mailbox": mailbox, "imported": result.imported, "duplicates": result.duplicates}
        if result.waiting:
            line += _(", %(count)s more waiting for the next run") % {"count": result.waiting}
        if error:
            line += f"; {error}"
    Mailbox.objects.filter(pk=mailbox.pk).update(
        imap_last_error=error[:2000], imap_checked_at=timezone.now())
    return line


def _fetch(mailbox: Mailbox) -> FetchResult:
    password = _password(mailbox)
    conn = _connect(mailbox)
    result = FetchResult()
    try:
        _login(conn, mailbox, password)
        _select(conn, mailbox.imap_folder)
        last_uid = _last_uid(conn, mailbox)
        uids = _new_uids(conn, last_uid)
        result.waiting = max(0, len(uids) - MAX_MESSAGES_PER_RUN)
        sizes = _sizes(conn, last_uid) if uids else {}
        for uid in uids[:MAX_MESSAGES_PER_RUN]:
            _import_one(conn, mailbox, uid, sizes.get(uid, 0), result)
    except (imaplib.IMAP4.error, OSError) as problem:
        raise FetchProblem(_("the IMAP session with %(host)s failed (%(reason)s); the next run "
                             "continues where this one stopped.") % {"host": mailbox.imap_host,
                                                                     "reason": problem}) from None
    finally:
        _close(conn)
    return result


def _password(mailbox: Mailbox) -> str:
    try:
        return decrypt_secret(mailbox.imap_password_encrypted)
    except ValueError as problem:
        raise FetchProblem(_("the stored IMAP password cannot be read (%(reason)s): enter the "
                             "password again in the admin.") % {"reason": problem}) from None


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    context = ssl.create_default_context()  # verifies the certificate and the host name
    host, port = mailbox.imap_host, mailbox.imap_port
    try:
        if mailbox.imap_ssl:
            return imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=TIMEOUT_SECONDS)
        conn = imaplib.IMAP4(host, port, timeout=TIMEOUT_SECONDS)
        if "STARTTLS" in conn.capabilities:
            conn.starttls(ssl_context=context)
        return conn
    except ssl.SSLCertVerificationError as problem:
        raise FetchProblem(_("the certificate of %(host)s is not trusted (%(reason)s): give the "
                             "server a valid certificate for this host name.") % {
            "host": host, "reason": problem.verify_message}) from None
    except (OSError, imaplib.IMAP4.error) as problem:
        raise FetchProblem(_("cannot connect to %(host)s:%(port)s (%(reason)s): check the IMAP host, "
                             "the port and the TLS setting of the mailbox.") % {
            "host": host, "port": port, "reason": problem or problem.__class__.__name__}) from None


def _login(conn: imaplib.IMAP4, mailbox: Mailbox, password: str) -> None:
    try:
        conn.login(mailbox.imap_username, password)
    except (imaplib.IMAP4.error, UnicodeEncodeError) as problem:
        raise FetchProblem(_("the server refused the login of %(user)s (%(reason)s): check the IMAP "
                             "user and password of the mailbox in the admin.") % {
            "user": mailbox.imap_username, "reason": _text(problem)}) from None


def _select(conn: imaplib.IMAP4, folder: str) -> None:
    typ, data = conn.select(quote_folder(folder))
    if typ != "OK":
        raise FetchProblem(_("the folder %(folder)s cannot be opened (%(reason)s): check the folder "
                             "name of the mailbox.") % {"folder": folder, "reason": _text(data)})


def _last_uid(conn: imaplib.IMAP4, mailbox: Mailbox) -> int:
    """The last UID imported, or 0 when the server's UIDVALIDITY changed (UIDs were reset)."""
    _typ, data = conn.response("UIDVALIDITY")
    try:
        validity = int(data[0]) if data and data[0] is not None else None
    except (TypeError, ValueError):
        validity = None
    if validity == mailbox.imap_uidvalidity:
        return mailbox.imap_last_uid
    if mailbox.imap_uidvalidity is not None:
        logger.warning("mailbox %s: UIDVALIDITY changed from %s to %s; fetching everything again "
                       "(duplicates are recognised)", mailbox.pk, mailbox.imap_uidvalidity, validity)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_uidvalidity=validity, imap_last_uid=0)
    mailbox.imap_uidvalidity, mailbox.imap_last_uid = validity, 0
    return 0


def _new_uids(conn: imaplib.IMAP4, last_uid: int) -> list[int]:
    typ, data = conn.uid("SEARCH", f"UID {last_uid + 1}:*")
    if typ != "OK":
        raise FetchProblem(_("the server refused to search the folder (%(reason)s).") % {
            "reason": _text(data)})
    # "n:*" always matches the highest UID, even when it is below n: keep only new ones.
    return sorted({int(u) for u in b" ".join(d for d in data if d).split() if int(u) > last_uid})


def _sizes(conn: imaplib.IMAP4, last_uid: int) -> dict[int, int]:
    _typ, data = conn.uid("FETCH", f"{last_uid + 1}:*", "(UID RFC822.SIZE)")
    sizes = {}
    for item in data or []:
        line = item[0] if isinstance(item, tuple) else item
        uid, size = _UID.search(line or b""), _SIZE.search(line or b"")
        if uid and size:
            sizes[int(uid.group(1))] = int(size.group(1))
    return sizes


def _import_one(conn: imaplib.IMAP4, mailbox: Mailbox, uid: int, size: int,
                result: FetchResult) -> None:
    if size > settings.MAIL_MAX_BYTES:
        _skip_oversized(mailbox, uid, size, result)
        return
    raw = _body(conn, uid)
    if raw is None:  # expunged by someone else meanwhile
        return
    try:
        accepted = accept_raw(raw, via=RawMessage.Via.IMAP, mailbox=mailbox)
    except HeedfulError as refused:
        if refused.code != ErrorCode.TOO_LARGE:
            raise
        _skip_oversized(mailbox, uid, len(raw), result)
        return
    # Stored and committed: only now may the server forget about it.
    if accepted.duplicate:
        result.duplicates += 1
    else:
        result.imported += 1
    problem = _after_import(conn, mailbox, uid)
    if problem:
        result.problems.append(problem)
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_uid=uid)


def _skip_oversized(mailbox: Mailbox, uid: int, size: int, result: FetchResult) -> None:
    """Not imported and not flagged, so it stays visible in the mailbox for a person."""
    logger.warning("mailbox %s: message UID %s is %s bytes, over MAIL_MAX_BYTES; left on the server",
                   mailbox.pk, uid, size)
    result.problems.append(_(
        "message UID %(uid)s is %(size)s MB, over the limit of %(limit)s MB: it was left unread in "
        "the mailbox; raise HEEDFUL_MAIL_MAX_BYTES or handle it by hand") % {
        "uid": uid, "size": round(size / 1048576, 1),
        "limit": round(settings.MAIL_MAX_BYTES / 1048576, 1)})
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_last_uid=uid)


def _body(conn: imaplib.IMAP4, uid: int) -> bytes | None:
    typ, data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")  # PEEK: do not mark it read yet
    if typ != "OK":
        raise FetchProblem(_("the server refused to hand over message UID %(uid)s (%(reason)s).") % {
            "uid": uid, "reason": _text(data)})
    for item in data or []:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
            return item[1]
    return None


def _after_import(conn: imaplib.IMAP4, mailbox: Mailbox, uid: int) -> str:
    """Flag or move the message as the mailbox says; a problem here is reported, not fatal."""
    if mailbox.after_import == Mailbox.AfterImport.FLAG:
        typ, data = conn.uid("STORE", str(uid), "+FLAGS", r"(\Seen)")
        if typ != "OK":
            return _("could not mark message UID %(uid)s as read (%(reason)s)") % {
                "uid": uid, "reason": _text(data)}
    elif mailbox.after_import == Mailbox.AfterImport.MOVE and mailbox.move_to_folder:
        typ, data = _move(conn, uid, mailbox.move_to_folder)
        if typ != "OK" and b"TRYCREATE" in b" ".join(d for d in data if isinstance(d, bytes)):
            conn.create(quote_folder(mailbox.move_to_folder))
            typ, data = _move(conn, uid, mailbox.move_to_folder)
        if typ != "OK":
            return _("could not move message UID %(uid)s to %(folder)s (%(reason)s): create the folder "
                     "or change the mailbox's setting") % {
                "uid": uid, "folder": mailbox.move_to_folder, "reason": _text(data)}
    return ""


def _move(conn: imaplib.IMAP4, uid: int, folder: str) -> tuple[str, list[bytes]]:
    target = quote_folder(folder)
    if "MOVE" in conn.capabilities:
        typ, data = conn.uid("MOVE", str(uid), target)
        return typ, data
    typ, data = conn.uid("COPY", str(uid), target)
    if typ != "OK":
        return typ, data
    conn.uid("STORE", str(uid), "+FLAGS", r"(\Deleted)")
    if "UIDPLUS" in conn.capabilities:
        conn.uid("EXPUNGE", str(uid))  # only this message, not others marked deleted by people
    else:
        conn.expunge()
    return "OK", []


def _close(conn: imaplib.IMAP4) -> None:
    with contextlib.suppress(imaplib.IMAP4.error, OSError):
        conn.logout()


def _text(value: object) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def quote_folder(name: str) -> str:
    """A folder name as an IMAP quoted string, non-ASCII in modified UTF-7 (RFC 3501 5.1.3)."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded_name = "".join(out).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{encoded_name}"'
