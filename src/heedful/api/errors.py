"""Every refusal of the API has one shape: {"error": {"code", "message", "fields"}}.

Domain errors (HeedfulError) keep their code and status; schema validation, malformed JSON,
missing credentials and unknown paths are translated here so that a client never has to parse
an HTML error page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from heedful.core.errors import ErrorCode, HeedfulError

# Parameter names of our handlers that wrap a whole body or query string; they are not part of
# the field names a client sees.
_WRAPPERS = {"payload", "filters", "page"}


def error_response(
    status: int, code: str, message: str, fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    body = {"error": {"code": str(code), "message": str(message), "fields": fields or {}}}
    return JsonResponse(body, status=status)


def field_name(loc: list[Any] | tuple[Any, ...]) -> str:
    """("body", "payload", "attachments", 0, "filename") -> "attachments.0.filename"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    if parts and parts[0] in _WRAPPERS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "missing":
        return _("This field is required.")
    return str(error.get("msg", _("Invalid value."))).removeprefix("Value error, ")


def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        loc = list(error.get("loc", ()))
        if where := (error.get("ctx") or {}).get("field"):
            loc.extend(str(where).split("."))
        fields.setdefault(field_name(loc), []).append(_message(error))
    unknown = all(e.get("type") == "extra_forbidden" for e in exc.errors) and exc.errors
    code = ErrorCode.UNKNOWN_FIELD if unknown else ErrorCode.INVALID
    return error_response(400, code, _("Some fields are not valid."), fields)


def on_heedful_error(request: HttpRequest, exc: HeedfulError) -> HttpResponse:
    return error_response(exc.http_status, exc.code, exc.message, exc.fields)


def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        401, "unauthorized",
        _("Send a valid API token as 'Authorization: Bearer <token>' "
          "(issue one with: heedful token --email you@example.com)."),
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, (json.JSONDecodeError, UnicodeDecodeError, ValueError)):
        return malformed_json()
    codes = {404: ErrorCode.NOT_FOUND, 403: ErrorCode.PERMISSION_DENIED, 409: ErrorCode.CONFLICT,
             413: ErrorCode.TOO_LARGE, 429: ErrorCode.THROTTLED}
    return error_response(exc.status_code, codes.get(exc.status_code, ErrorCode.INVALID), exc.message)


def malformed_json() -> JsonResponse:
    return error_response(400, ErrorCode.INVALID, _("The request body is not valid JSON."),
                          {"body": [_("Send a JSON object.")]})


def not_found(request: HttpRequest | None = None, exc: Exception | None = None) -> JsonResponse:
    return error_response(404, ErrorCode.NOT_FOUND, _("Not found."))


def too_large(request: HttpRequest | None = None, exc: Exception | None = None) -> JsonResponse:
    return error_response(413, ErrorCode.TOO_LARGE, _("The request body is too large."),
                          {"body": [_("Send smaller attachments, one request each.")]})


HANDLERS: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
    (ValidationError, on_validation_error),
    (HeedfulError, on_heedful_error),
    (AuthenticationError, on_authentication_error),
    (HttpError, on_http_error),
    (Http404, not_found),
    (RequestDataTooBig, too_large),
]


def register(api: NinjaAPI) -> None:
    for exception, handler in HANDLERS:
        api.add_exception_handler(exception, handler)
