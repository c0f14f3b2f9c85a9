"""Live updates on an agent's ticket page: who else is viewing or replying, and "this ticket
changed" notices sent by tickets.notify after each committed change."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from heedful.people.models import Agent
from heedful.policy import Viewer, can_view_ticket
from heedful.tickets.models import Ticket
from heedful.tickets.notify import ticket_group
from heedful.web import presence

FORBIDDEN = 4403


def _agent_allowed(user: Any, ticket_id: int) -> Agent | None:
    viewer = Viewer.for_user(user)
    if viewer.agent is None or not can_view_ticket(viewer, Ticket(pk=ticket_id)):
        return None
    return viewer.agent


class TicketPresenceConsumer(AsyncJsonWebsocketConsumer):
    """ws/tickets/<id>/: the browser sends {"state": "viewing"|"replying"} now and then; it
    receives {"type": "presence", "others": [...]} and {"type": "ticket.changed", ...}."""

    agent: Agent | None = None
    ticket_id: int = 0
    group: str = ""

    async def connect(self) -> None:
        self.ticket_id = int(self.scope["url_route"]["kwargs"]["ticket_id"])
        self.agent = await database_sync_to_async(_agent_allowed)(self.scope.get("user"), self.ticket_id)
        if self.agent is None:
            await self.close(code=FORBIDDEN)
            return
        self.group = ticket_group(self.ticket_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._announce(presence.mark(self.ticket_id, self.agent, "viewing"))

    async def disconnect(self, code: int) -> None:
        if self.agent is None or not self.group:
            return
        await self._announce(presence.leave(self.ticket_id, self.agent.user_id))
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self.agent is None or not isinstance(content, dict):
            return
        state = content.get("state")
        if state in presence.STATES:
            await self._announce(presence.mark(self.ticket_id, self.agent, str(state)))
        else:
            await self.send_json({"type": "error", "message": "state must be viewing or replying"})

    async def _announce(self, everyone: list[presence.Presence]) -> None:
        await self.channel_layer.group_send(
            self.group, {"type": "presence.update", "presence": [dict(p) for p in everyone]}
        )

    async def presence_update(self, message: dict[str, Any]) -> None:
        if self.agent is None:
            return
        others = presence.others(message.get("presence", []), self.agent.user_id)
        await self.send_json({"type": "presence", "others": others})

    async def ticket_changed(self, message: dict[str, Any]) -> None:
        await self.send_json({"type": "ticket.changed", "ticket": message.get("ticket"),
                              "event": message.get("event"), "kind": message.get("kind")})
