"""Saved replies: placeholders filled with the customer, ticket and agent at hand."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from heedful.people.models import Agent
from heedful.tickets.models import SavedReply, Ticket

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\.([a-z_]+)\s*\}\}")


def placeholder_values(ticket: Ticket, agent: Agent | None) -> dict[str, dict[str, str]]:
    customer = ticket.requester
    first_name = (customer.name or "").split(" ")[0]
    return {
        "customer": {
            "name": customer.name or "", "first_name": first_name, "email": customer.primary_email,
            "plan": customer.plan, "tier": customer.tier,
            "organization": str(customer.organization or ""),
        },
        "ticket": {"number": str(ticket.number), "subject": ticket.subject,
                   "status": str(Ticket.Status(ticket.status).label)},
        "agent": {"name": str(agent) if agent else "",
                  "first_name": str(agent).split(" ")[0] if agent else "",
                  "signature": agent.signature if agent else ""},
    }


def render_saved_reply(reply: SavedReply, *, ticket: Ticket, agent: Agent | None) -> str:
    """Fill {{ customer.name }}-style placeholders; unknown ones are left visible so that the
    agent notices them before sending."""
    values = placeholder_values(ticket, agent)

    def fill(match: re.Match[str]) -> str:
        group, key = match.group(1), match.group(2)
        value = values.get(group, {}).get(key)
        return match.group(0) if value is None else value

    return _PLACEHOLDER.sub(fill, reply.body)


def saved_replies_for(agent: Agent) -> QuerySet[SavedReply]:
    team_ids: Any = agent.teams.values("id")
    return SavedReply.objects.filter(active=True).filter(
        Q(owner__isnull=True, team__isnull=True) | Q(owner=agent.user) | Q(team_id__in=team_ids)
    )


def saved_reply_effects(reply: SavedReply | None, *, status: str | None) -> dict[str, Any]:
    """What sending a reply made from a saved reply does besides sending it, as NewMessage
    fields: its "then set status" (unless the agent chose a status themselves) and its "then add
    tags", with the saved reply named on the message so the timeline says where it came from."""
    if reply is None:
        return {"status": status}
    return {"status": status or reply.set_status or None, "add_tags": list(reply.add_tags or []),
            "data": {"saved_reply": reply.pk}}
