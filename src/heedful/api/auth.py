"""Bearer-token authentication: `Authorization: Bearer <token>` names an active agent."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from heedful.people.models import Agent
from heedful.people.tokens import agent_for_token
from heedful.policy import Viewer

_CACHE_ATTR = "_heedful_api_agent"


def agent_for_request(request: HttpRequest) -> Agent | None:
    """The agent whose token the request carries; looked up once per request."""
    if hasattr(request, _CACHE_ATTR):
        return getattr(request, _CACHE_ATTR)
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    agent = agent_for_token(token.strip()) if scheme.lower() == "bearer" else None
    setattr(request, _CACHE_ATTR, agent)
    return agent


class BearerAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        return agent_for_request(request)

    def authenticate(self, request: HttpRequest, token: str) -> Any:  # pragma: no cover
        return agent_for_request(request)


def viewer(request: HttpRequest) -> Viewer:
    agent: Agent = request.auth  # type: ignore[attr-defined]
    return Viewer(agent=agent)


def acting_user(request: HttpRequest) -> Any:
    return viewer(request).user
