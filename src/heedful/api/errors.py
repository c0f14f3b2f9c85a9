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


_KIND_MESSAGES: dict[str, Callable[[], str]] = {
    "extra_forbidden": lambda: _("Unknown field."),
    "missing": lambda: _("This field is required."),
    "string_type": lambda: _("Expected text."),
    "int_type": lambda: _("Expected a whole number."),
    "int_parsing": lambda: _("Expected a whole number."),
    "int_from_float": lambda: _("Expected a whole number."),
    "float_type": lambda: _("Expected a number."),
    "float_parsing": lambda: _("Expected a number."),
    "decimal_type": lambda: _("Expected a number."),
    "decimal_parsing": lambda: _("Expected a number."),
    "bool_type": lambda: _("Expected true or false."),
    "bool_parsing": lambda: _("Expected true or false."),
    "list_type": lambda: _("Expected a list."),
    "dict_type": lambda: _("Expected an object."),
    "model_type": lambda: _("Expected an object."),
    "model_attributes_type": lambda: _("Expected an object."),
    "date_type": lambda: _("Expected a date as YYYY-MM-DD."),
    "date_parsing": lambda: _("Expected a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": lambda: _("Expected a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": lambda: _("Expected a date as YYYY-MM-DD."),
    "datetime_type": lambda: _("Expected a date and time (ISO 8601)."),
    "datetime_parsing": lambda: _("Expected a date and time (ISO 8601)."),
    "datetime_from_date_parsing": lambda: _("Expected a date and time (ISO 8601)."),
}
# Kinds whose message names a limit from the error's context: (context key, message).
_LIMIT_MESSAGES: dict[str, tuple[str, Callable[[], str]]] = {
    "string_too_short": ("min_length", lambda: _("At least %(limit)s characters.")),
    "string_too_long": ("max_length", lambda: _("At most %(limit)s characters.")),
    "too_short": ("min_length", lambda: _("At least %(limit)s items.")),
    "too_long": ("max_length", lambda: _("At most %(limit)s items.")),
    "greater_than_equal": ("ge", lambda: _("At least %(limit)s.")),
    "greater_than": ("gt", lambda: _("More than %(limit)s.")),
    "less_than_equal": ("le", lambda: _("At most %(limit)s.")),
    "less_than": ("lt", lambda: _("Less than %(limit)s.")),
}


def _message(error: dict[str, Any]) -> str:
    """A field message in the request's language (pydantic's own are English only). Messages our
    validators raise (value_error) are already translated."""
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind in _KIND_MESSAGES:
        return _KIND_MESSAGES[kind]()
    if kind in _LIMIT_MESSAGES and _LIMIT_MESSAGES[kind][0] in context:
        key, message = _LIMIT_MESSAGES[kind]
        return message() % {"limit": context[key]}
    if kind in {"literal_error", "enum"} and "expected" in context:
        return _("Choose one of: %(choices)s.") % {"choices": context["expected"]}
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
