"""Shared building blocks of the API's typed schemas: strict input, ids, times, errors, lists.

Every request body inherits `In`: unknown fields are refused (a typo must not be silently
ignored) and text may not carry NUL characters or broken Unicode, which databases refuse.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

# The largest id a 64-bit column holds; bigger numbers cannot name anything.
MAX_ID = 2**63 - 1

ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


def _bad_text(value: Any, path: str) -> str | None:
    """The path of the first string (or key) that no database would store, if any."""
    if isinstance(value, str):
        if "\x00" in value:
            return path or "body"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return path or "body"
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if (found := _bad_text(key, where)) or (found := _bad_text(item, where)):
                return found
    if isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            if found := _bad_text(item, f"{path}.{index}" if path else str(index)):
                return found
    return None


class In(Schema):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        found = _bad_text(data, "")
        if found:
            # errors.field_name() reads ctx["field"] to name the field in the answer.
            raise PydanticCustomError(
                "unstorable_text", "Text may not contain NUL characters or invalid Unicode.",
                {"field": found},
            )
        return data


def _in_utc(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError:
        raise ValueError("The time is out of range.") from None


UtcDatetime = Annotated[datetime.datetime, AfterValidator(_in_utc)]


class ErrorBody(Schema):
    code: str = Field(description="A stable, machine-readable code such as invalid or not_found.")
    message: str = Field(description="What went wrong, in the language of the request.")
    fields: dict[str, list[str]] = Field(description="Problems per input field, when known.")


class ErrorOut(Schema):
    error: ErrorBody


class PageQuery(In):
    limit: int = Field(50, ge=1, le=200, description="How many results per page (1..200).")
    cursor: str | None = Field(None, max_length=500,
                               description="next_cursor of the previous page; absent for the first.")


class TargetIn(In):
    target_id: ObjectId = Field(description="The object this one is merged into.")
