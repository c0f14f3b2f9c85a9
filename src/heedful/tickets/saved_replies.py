"""The one way to change saved replies, and the lists the settings pages show.

Shared replies (for everyone, or for one team) have no owner and are kept by supervisors; a
personal reply belongs to the agent who wrote it and has no team. Who may do which is the
policy's question (the views ask it); these functions check the values and audit each change.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from heedful.core.audit import record_audit
from heedful.core.changes import apply_changes, plain, refuse_unknown
from heedful.core.errors import Invalid
from heedful.people.models import Team
from heedful.tickets.models import SavedReply, Ticket
from heedful.tickets.tags import normalize_tags

EDITABLE = frozenset({"title", "body", "team", "set_status", "add_tags", "active"})
MAX_BODY = 20_000


def personal_replies_of(user: Any) -> QuerySet[SavedReply]:
    return SavedReply.objects.filter(owner_id=user.pk).order_by("-active", "title", "id")


def shared_replies() -> QuerySet[SavedReply]:
    return (SavedReply.objects.filter(owner__isnull=True).select_related("team")
            .order_by("-active", "title", "id"))


def clean_saved_reply(values: dict[str, Any], *, personal: bool) -> dict[str, Any]:
    """Every field checked at once, so that a form can show each problem beside its field."""
    errors: dict[str, list[str]] = {}
    title = " ".join(str(values.get("title") or "").split())
    if not title:
        errors["title"] = [_("Give the saved reply a title.")]
    elif len(title) > 200:
        errors["title"] = [_("At most 200 characters.")]
    body = str(values.get("body") or "").strip()
    if not body:
        errors["body"] = [_("Write the text of the reply.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("At most 20,000 characters.")]
    set_status = str(values.get("set_status") or "")
    if set_status and set_status not in Ticket.Status.values:
        errors["set_status"] = [_("Choose a status from the list.")]
    team = values.get("team")
    if team is not None and personal:
        errors["team"] = [_("A personal saved reply is for you alone, not for a team.")]
    elif team is not None and not isinstance(team, Team):
        errors["team"] = [_("Choose a team from the list.")]
    tags: list[str] = []
    try:
        tags = normalize_tags(values.get("add_tags") or [])
    except Invalid as problem:
        errors["add_tags"] = [problem.message]
    if errors:
        raise Invalid(_("The saved reply was not saved: see the marked fields."), fields=errors)
    return {"title": title, "body": body, "team": team, "set_status": set_status,
            "add_tags": tags, "active": bool(values.get("active", True))}


def create_saved_reply(
    *, actor: Any, title: str, body: str, personal: bool, team: Team | None = None,
    set_status: str = "", add_tags: list[str] | str = "", active: bool = True,
) -> SavedReply:
    cleaned = clean_saved_reply({"title": title, "body": body, "team": team,
                                 "set_status": set_status, "add_tags": add_tags,
                                 "active": active}, personal=personal)
    with transaction.atomic():
        reply = SavedReply.objects.create(owner=actor if personal else None, **cleaned)
        record_audit(actor=actor, action="saved_reply.create", target=reply,
                     details={"personal": personal, **{k: plain(v) for k, v in cleaned.items()}})
    return reply


def update_saved_reply(*, reply: SavedReply, actor: Any, changes: dict[str, Any]) -> SavedReply:
    """Change some fields (the others stay); deactivating is {"active": False}."""
    refuse_unknown(changes, EDITABLE)
    current = {name: getattr(reply, name) for name in EDITABLE}
    cleaned = clean_saved_reply({**current, **changes}, personal=reply.owner_id is not None)
    with transaction.atomic():
        changed = apply_changes(reply, cleaned)
        if changed:
            reply.save()
            record_audit(actor=actor, action="saved_reply.update", target=reply,
                         details={"changes": changed})
    return reply
