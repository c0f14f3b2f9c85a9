"""Who else has a ticket open: agents viewing or replying, kept in the shared cache.

One cache entry per ticket maps an agent's user id to their name, state and expiry. Browsers
refresh their entry every few seconds (over the WebSocket or the HTTP fallback); an entry that
is not refreshed expires on its own, so a closed laptop never claims a ticket forever.
"""

from __future__ import annotations

import time
from typing import Any, TypedDict

from django.core.cache import cache

from heedful.people.models import Agent

STATES = ("viewing", "replying")
PRESENCE_TTL_SECONDS = 30


class Presence(TypedDict):
    agent: int
    name: str
    state: str
    expires: float


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def _live(entries: dict[str, Any], now: float) -> dict[str, Presence]:
    live: dict[str, Presence] = {}
    for key, value in entries.items():
        if isinstance(value, dict) and value.get("expires", 0) > now:
            live[key] = Presence(agent=int(value["agent"]), name=str(value["name"]),
                                 state=str(value["state"]), expires=float(value["expires"]))
    return live


def current(ticket_id: int) -> list[Presence]:
    """Everyone present on the ticket now, in a stable order."""
    entries = _live(cache.get(_key(ticket_id)) or {}, time.time())
    return sorted(entries.values(), key=lambda p: (p["name"], p["agent"]))


def mark(ticket_id: int, agent: Agent, state: str) -> list[Presence]:
    """Record that `agent` is viewing or replying; returns everyone present."""
    if state not in STATES:
        raise ValueError(state)
    now = time.time()
    entries = _live(cache.get(_key(ticket_id)) or {}, now)
    entries[str(agent.user_id)] = Presence(
        agent=agent.user_id, name=str(agent), state=state, expires=now + PRESENCE_TTL_SECONDS
    )
    cache.set(_key(ticket_id), entries, timeout=PRESENCE_TTL_SECONDS * 2)
    return sorted(entries.values(), key=lambda p: (p["name"], p["agent"]))


def leave(ticket_id: int, user_id: int) -> list[Presence]:
    now = time.time()
    entries = _live(cache.get(_key(ticket_id)) or {}, now)
    entries.pop(str(user_id), None)
    cache.set(_key(ticket_id), entries, timeout=PRESENCE_TTL_SECONDS * 2)
    return sorted(entries.values(), key=lambda p: (p["name"], p["agent"]))


def others(presence: list[Presence], user_id: int) -> list[dict[str, Any]]:
    """What one agent's browser shows: everyone else, without internal expiry times."""
    return [{"agent": p["agent"], "name": p["name"], "state": p["state"]}
            for p in presence if p["agent"] != user_id]
