"""Form values checked against the protocol's data dictionary (one form of one visit).

Values are kept as REDCap keeps them: text, with numbers as typed ("17.0"), dates as ISO
``YYYY-MM-DD``, yes/no as "1"/"0", a choice as its code, a checkbox as the list of ticked codes; blank
is "". Calculated fields are computed here, never typed. Fields marked ``identifier`` (the date of
birth) belong in the identity vault and are refused in a clinical record.

Problems come back as codes with parameters, so the pages can say them in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from celltrial.logic import evaluate as evaluate_logic

TEXT_MAX = 2000
NOTES_MAX = 10_000
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER = re.compile(r"^[+-]?(\d{1,12}(\.\d*)?|\.\d+)$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


def _control(text: str, *, allow_breaks: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_breaks else set()
    return any((ord(c) < 32 or ord(c) == 0x7F) and c not in allowed for c in text)


def _bound(value: float | str | None, today: dt.date) -> Any:
    if value == "today":
        return today
    return value


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _check_number(f: Any, text: str, integer: bool) -> list[Problem]:
    pattern = _INTEGER if integer else _NUMBER
    if not pattern.match(text):
        return [Problem(f.name, "integer" if integer else "number", {"units": f.units or ""})]
    found = []
    if not integer and f.decimals is not None and "." in text and len(text.split(".")[1]) > f.decimals:
        found.append(Problem(f.name, "decimals", {"decimals": f.decimals}))
    number = float(text)
    if isinstance(f.min, int | float) and number < f.min:
        found.append(Problem(f.name, "min", {"min": f"{f.min:g}", "units": f.units or ""}))
    if isinstance(f.max, int | float) and number > f.max:
        found.append(Problem(f.name, "max", {"max": f"{f.max:g}", "units": f.units or ""}))
    return found


def _check(f: Any, value: Any, today: dt.date) -> tuple[Any, list[Problem]]:
    if f.type == "checkbox":
        ticked = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        codes = {c.code for c in f.choices or ()}
        cleaned = sorted({str(v).strip() for v in ticked})
        unknown = [v for v in cleaned if v not in codes]
        if unknown:
            return cleaned, [Problem(f.name, "choice", {"value": ", ".join(unknown)})]
        return cleaned, []
    if value is None:
        return "", []
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "", [Problem(f.name, "type")]
    text = str(value).strip()
    if not text:
        return "", []
    if f.type in ("text", "notes"):
        limit = NOTES_MAX if f.type == "notes" else TEXT_MAX
        if len(text) > limit:
            return text, [Problem(f.name, "length", {"max": limit})]
        if _control(text, allow_breaks=f.type == "notes"):
            return text, [Problem(f.name, "control")]
        return text, []
    if f.type == "integer":
        return text, _check_number(f, text, integer=True)
    if f.type == "number":
        return text, _check_number(f, text, integer=False)
    if f.type == "date":
        day = _date(text)
        if day is None:
            return text, [Problem(f.name, "date")]
        low, high = _bound(f.min, today), _bound(f.max, today)
        low_d = low if isinstance(low, dt.date) else _date(low) if isinstance(low, str) else None
        high_d = high if isinstance(high, dt.date) else _date(high) if isinstance(high, str) else None
        if low_d is not None and day < low_d:
            return text, [Problem(f.name, "date_min", {"min": low_d.isoformat()})]
        if high_d is not None and day > high_d:
            return text, [Problem(f.name, "date_max", {"max": high_d.isoformat()})]
        return text, []
    if f.type == "datetime":
        if not _DATETIME.match(text):
            return text, [Problem(f.name, "datetime")]
        try:
            dt.datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            return text, [Problem(f.name, "datetime")]
        return text.replace("T", " "), []
    if f.type == "yesno":
        return text, [] if text in ("0", "1") else [Problem(f.name, "yesno")]
    if f.type in ("radio", "dropdown"):
        codes = {c.code for c in f.choices or ()}
        return text, [] if text in codes else [Problem(f.name, "choice", {"value": text})]
    return text, [Problem(f.name, "computed")]


def clean_form_values(form: Any, raw: Mapping[str, Any], *, today: dt.date,
                      context: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], list[Problem]]:
    """Check ``raw`` (field name → value) against ``form``; return the values to store and the problems.

    Every field of the form is present in the result (blank when not given); calculated fields are
    computed from the form's values and ``context`` (values from elsewhere, e.g. derived ages).
    """
    fields = {f.name: f for f in form.fields}
    problems: list[Problem] = []
    for name in raw:
        if name not in fields:
            problems.append(Problem(str(name)[:100], "unknown", {"form": form.name}))
    cleaned: dict[str, Any] = {}
    for f in form.fields:
        value = raw.get(f.name)
        if f.identifier:
            if value not in (None, "", []):
                problems.append(Problem(f.name, "identifier"))
            continue
        if f.type in ("calc", "descriptive"):
            if value not in (None, "", []):
                problems.append(Problem(f.name, "computed"))
            continue
        cleaned[f.name], found = _check(f, value, today)
        problems += found
    record = {**(context or {}), **cleaned}
    for f in form.fields:
        if f.type == "calc" and f.calc:
            result = evaluate_logic(f.calc, record, today=today)
            cleaned[f.name] = "" if result == "" else _number_text(result)
            record[f.name] = cleaned[f.name]
    return cleaned, problems


def _number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)
