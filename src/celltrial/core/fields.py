"""Typed, bounded API parameters every room's router shares (pydantic types, usable in ninja schemas).

Each refusal names its field (pydantic's ``loc``) and says what was wrong in words a caller
understands; nothing is clamped silently. The bounds are stated in the OpenAPI schema too, so a
client (or schemathesis) knows them before it asks.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field
from pydantic_core import PydanticCustomError

# Paging: a page holds 1..LIMIT_MAX entries; an offset past OFFSET_MAX is refused, not clamped.
LIMIT_MAX = 1000
OFFSET_MAX = 1_000_000
# The largest value of a 32-bit signed column (protocol version numbers and other integer keys).
INT_KEY_MAX = 2**31 - 1

CONTROL_CHARACTERS = frozenset(chr(c) for c in (*range(0x20), 0x7F))
# JSON Schema's statement of the same rule (clients and fuzzers read it; pydantic checks below).
NO_CONTROL_PATTERN = r"^[^\u0000-\u001f\u007f]*$"

# Times a caller may ask about: years 1900 to 2199 (an audit trail, a clinical record), stated in the
# schema too. Python's datetime ends at year 9999, so no offset can push such a time out of range.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
DATETIME_PATTERN = r"^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}[Tt ]"
DATE_PATTERN = r"^(19|2[01])[0-9]{2}-[0-9]{2}-[0-9]{2}$"
_ISO_DATETIME = re.compile(DATETIME_PATTERN)
_ISO_DATE = re.compile(DATE_PATTERN)


def refuse_control_characters(value: str) -> str:
    if any(c in CONTROL_CHARACTERS for c in value):
        raise PydanticCustomError(
            "control_character", "must not contain control characters (such as NUL, tab or line breaks)")
    return value


def iso_datetime_text(value: Any) -> Any:
    """Only ISO 8601 text is a time here (pydantic would also take a bare number as a Unix time)."""
    if isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATETIME.match(value):
        raise PydanticCustomError(
            "datetime_format",
            "use an ISO 8601 date and time with a time zone offset, years {earliest} to {latest}, "
            "e.g. 2025-03-01T09:00:00+08:00", {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


def require_offset(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError(
            "timezone_required",
            "a time zone offset is required, e.g. 2025-03-01T09:00:00+08:00 or 2025-03-01T01:00:00Z")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("datetime_range", "the year must be {earliest} to {latest}",
                                  {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value.astimezone(dt.UTC)


def iso_date_text(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError(
            "date_format", "use an ISO 8601 date, years {earliest} to {latest}, e.g. 2025-03-01",
            {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


def require_year_range(value: dt.date) -> dt.date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise PydanticCustomError("date_range", "the year must be {earliest} to {latest}",
                                  {"earliest": EARLIEST_YEAR, "latest": LATEST_YEAR})
    return value


def bounded(max_length: int, **field: Any) -> Any:
    """A string's bound, for ``Annotated[str, bounded(n), NoControlCharacters]`` (the bound is checked first)."""
    return Field(max_length=max_length, json_schema_extra={"pattern": NO_CONTROL_PATTERN}, **field)


NoControlCharacters = AfterValidator(refuse_control_characters)

AwareDatetime = Annotated[
    dt.datetime,
    BeforeValidator(iso_datetime_text),
    Field(description=f"ISO 8601 with a time zone offset (Z or ±hh:mm), years {EARLIEST_YEAR} to {LATEST_YEAR}",
          json_schema_extra={"pattern": DATETIME_PATTERN}),
    AfterValidator(require_offset),
]
# A calendar date (a visit, a log entry): the same years, stated in the schema as a pattern.
Day = Annotated[
    dt.date,
    BeforeValidator(iso_date_text),
    Field(description=f"ISO 8601 date, years {EARLIEST_YEAR} to {LATEST_YEAR}", json_schema_extra={"pattern": DATE_PATTERN}),
    AfterValidator(require_year_range),
]
Limit = Annotated[int, Field(ge=1, le=LIMIT_MAX, description=f"How many entries, 1 to {LIMIT_MAX}")]
Offset = Annotated[int, Field(ge=0, le=OFFSET_MAX, description=f"Entries to skip, 0 to {OFFSET_MAX}")]
IntKey = Annotated[int, Field(ge=1, le=INT_KEY_MAX)]


class ErrorOut(BaseModel):
    """A refusal in one sentence: not authenticated (401), not allowed (403), not found (404)."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """A 422: one entry per refused field; ``loc`` names it (``["query", "limit"]``)."""

    detail: list[FieldError]


class ConflictOut(BaseModel):
    """A 409: the record changed since the version the request edited; both versions, field by field."""

    detail: str
    current_version: int
    current_values: dict[str, Any]
    attempted_values: dict[str, Any]


def responses(ok: Any, *, lookup: bool = False, conflict: bool = False) -> dict[int, Any]:
    """The answers an operation gives: ``ok`` (200), and the refusals every route can give; ``lookup``: a
    404 for a record it names; ``conflict``: a 409 for an edit of a stale version (``core.api_answers``)."""
    answers: dict[int, Any] = {200: ok, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
    if lookup:
        answers[404] = ErrorOut
    if conflict:
        answers[409] = ConflictOut
    return answers
