"""The NinjaAPI instance behind /api/v1/: bearer auth on every operation, one error shape, an
OpenAPI 3 document at /api/v1/openapi.json generated from the same types that validate input."""

from __future__ import annotations

from ninja import NinjaAPI

from heedful.api import errors, mail, people, tickets
from heedful.api.auth import BearerAuth

api = NinjaAPI(
    title="Heedful API",
    version="1",
    description=(
        "The JSON API of the Heedful help desk. Authenticate with `Authorization: Bearer <token>` "
        "(issue one with `heedful token --email you@example.com`). Every 4xx answer is "
        '`{"error": {"code", "message", "fields"}}`. See docs/api.md.'
    ),
    auth=BearerAuth(),
    openapi_url="/openapi.json",
    docs_url=None,
    urls_namespace="api",
)
errors.register(api)
api.add_router("", tickets.router)
api.add_router("", people.router)
api.add_router("", mail.router)
