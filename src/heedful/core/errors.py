"""One exception base for domain errors.

Domains raise `HeedfulError` subclasses with a stable code; the API maps them to
`{"error": {"code", "message", "fields"}}` with the status below, the web and portal show the
message on the form, and (later) mail intake maps them to SMTP replies.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    INVALID = "invalid"
    CONFLICT = "conflict"
    TOO_LARGE = "too_large"
    INVALID_TRANSITION = "invalid_transition"
    REASON_REQUIRED = "reason_required"
    UNKNOWN_FIELD = "unknown_field"
    DUPLICATE_IDENTITY = "duplicate_identity"
    THROTTLED = "throttled"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.INVALID: 400,
    ErrorCode.CONFLICT: 409,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.REASON_REQUIRED: 400,
    ErrorCode.UNKNOWN_FIELD: 400,
    ErrorCode.DUPLICATE_IDENTITY: 409,
    ErrorCode.THROTTLED: 429,
}


class HeedfulError(Exception):
    """A refusal a person can act on: a stable code, a translated message, per-field details."""

    def __init__(
        self, code: ErrorCode, message: str, *, fields: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = {name: [str(m) for m in msgs] for name, msgs in (fields or {}).items()}

    @property
    def http_status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def as_dict(self) -> dict[str, object]:
        return {"error": {"code": str(self.code), "message": self.message, "fields": self.fields}}


class NotFound(HeedfulError):
    def __init__(self, message: str = "") -> None:
        from django.utils.translation import gettext as _

        super().__init__(ErrorCode.NOT_FOUND, message or _("Not found."))


class Invalid(HeedfulError):
    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(ErrorCode.INVALID, message, fields=fields)
