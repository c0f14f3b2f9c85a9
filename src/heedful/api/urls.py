"""URLs of /api/v1/: the ninja API, and a JSON 404/405 for anything it does not answer."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.urls import URLPattern, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from heedful.api.errors import error_response, not_found
from heedful.api.main import api

app_name = "api"


def _json_method_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Ninja answers a wrong method with an empty 405; ours carries the error body too."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        is_json = response.get("Content-Type", "").startswith("application/json")
        if response.status_code == 405 and not is_json:
            allowed = response.get("Allow", "")
            answer = error_response(405, "method_not_allowed",
                                    _("Use one of: %(methods)s.") % {"methods": allowed})
            answer["Allow"] = allowed
            return answer
        return response

    return wrapper


def _patterns() -> list[URLPattern]:
    patterns: list[URLPattern] = []
    for pattern in api.urls[0]:
        assert isinstance(pattern, URLPattern)
        pattern.callback = csrf_exempt(_json_method_errors(pattern.callback))
        patterns.append(pattern)
    return patterns


urlpatterns: list[Any] = [
    *_patterns(),
    re_path(r"^.*$", csrf_exempt(not_found), name="not_found"),
]
