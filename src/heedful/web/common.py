"""What every agent view shares: who is looking, and how refusals become responses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render

from heedful.core.errors import HeedfulError
from heedful.policy import Viewer

View = Callable[..., HttpResponseBase]


def agent_required(view: View) -> View:
    """Signed-in agents only; anyone else goes to the sign-in page (or is told it is for agents)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        viewer = Viewer.for_user(request.user)
        if viewer.agent is None:
            return render(request, "web/not_agent.html", status=403)
        request.viewer = viewer  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapper


def viewer_of(request: HttpRequest) -> Viewer:
    return request.viewer  # type: ignore[attr-defined]


def wants_partial(request: HttpRequest) -> bool:
    """A fetch() from our scripts: answer with JSON and HTML fragments, not whole pages."""
    return request.headers.get("X-Heedful-Partial") == "1"


def error_json(error: HeedfulError) -> JsonResponse:
    return JsonResponse(error.as_dict(), status=error.http_status)


def form_errors(error: HeedfulError | None) -> dict[str, Any]:
    """Template context for a refusal: the message and the per-field messages."""
    if error is None:
        return {"error": None, "field_errors": {}}
    return {"error": error.message, "field_errors": error.fields}
