"""One form's values checked against the data dictionary, with branching, calculations and action tags.

Values are kept as REDCap keeps them: text, numbers as typed (``"17.0"``), dates ISO 8601 (a field
tagged ``@PARTIALDATE`` also takes ``2025-08`` or ``2025``), yes/no and true/false as ``"1"``/``"0"``,
a choice as its code, a checkbox as the sorted list of ticked codes, a file or signature as the
descriptor the service wrote (name, SHA-256, size, content type); blank is ``""``. Any typed field may
hold one of the missing-data codes instead of a value (:data:`MISSING_CODES`).

Order of work, the same live in the page and at save: check each typed value; resolve ``@IF``;
evaluate branching until nothing changes (a field hidden by branching is cleared, and a field whose
logic reads a cleared one is judged again); compute calc and ``@CALCTEXT`` fields; on completion,
require every required field that is shown. Problems come back as codes with parameters so that the
pages say them in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from celltrial.capture.engine.tags import Tags, resolve
from celltrial.logic import LogicError, evaluate, is_true

TEXT_MAX = 2000
NOTES_MAX = 10_000
FILE_MAX_BYTES = 5 * 1024 * 1024
FILE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})
SIGNATURE_TYPES = frozenset({"image/png"})
# Missing-data codes (CDISC null flavours as REDCap projects commonly define them).
MISSING_CODES: Mapping[str, str] = {
    "UNK": "unknown",
    "NA": "not applicable",
    "NASK": "not asked",
    "ASKU": "asked but unknown",
}
COMPUTED = frozenset({"calc", "descriptive"})
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER = re.compile(r"^[+-]?(\d{1,12}(\.\d*)?|\.\d+)$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_PARTIAL = re.compile(r"^\d{4}(-(0[1-9]|1[0-2]))?$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+?[0-9 ()\-]{6,20}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    params: dict[str, Any] = dataclass_field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a form's values come to: the values to store, the problems, and what the page hides."""

    values: dict[str, Any]
    problems: list[Problem]
    not_applicable: frozenset[str]
    hidden: frozenset[str]
    tags: dict[str, Tags]

    @property
    def ok(self) -> bool:
        return not self.problems


def field_type(f: Any) -> str:
    """The engine's type of a field: a file field validated as ``signature`` is a signature; ``sql``
    (a database query REDCap runs) falls back to text."""
    kind = str(getattr(f, "type", "text"))
    if kind == "file" and getattr(f, "validation", None) == "signature":
        return "signature"
    return "text" if kind == "sql" else kind


def is_typed(f: Any) -> bool:
    return field_type(f) not in COMPUTED and not getattr(f, "identifier", False)


def _control(text: str, *, allow_breaks: bool) -> bool:
    allowed = {"\n", "\r", "\t"} if allow_breaks else set()
    return any((ord(c) < 32 or ord(c) == 0x7F) and c not in allowed for c in text)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def _bound_date(value: Any, today: dt.date) -> dt.date | None:
    if value == "today":
        return today
    return _date(value) if isinstance(value, str) else None


def _range_params(f: Any) -> dict[str, Any]:
    return {"min": "" if f.min is None else (f"{f.min:g}" if isinstance(f.min, int | float) else str(f.min)),
            "max": "" if f.max is None else (f"{f.max:g}" if isinstance(f.max, int | float) else str(f.max)),
            "units": f.units or ""}


def _number(f: Any, text: str, *, integer: bool, comma: bool = False) -> list[Problem]:
    if comma:
        text = text.replace(",", ".")
    if not (_INTEGER if integer else _NUMBER).match(text):
        return [Problem(f.name, "integer" if integer else "number", _range_params(f))]
    found = []
    decimals = getattr(f, "decimals", None)
    if not integer and decimals is not None and "." in text and len(text.split(".")[1]) > decimals:
        found.append(Problem(f.name, "decimals", {"decimals": decimals}))
    number = float(text)
    low = f.min if isinstance(f.min, int | float) else None
    high = f.max if isinstance(f.max, int | float) else None
    if (low is not None and number < low) or (high is not None and number > high):
        code = "range" if low is not None and high is not None else ("min" if low is not None and number < low
                                                                     else "max")
        found.append(Problem(f.name, code, _range_params(f)))
    return found


def _referenced_bounds(f: Any, value: Any, record: Mapping[str, Any]) -> list[Problem]:
    """A number checked against a ``[field]`` min or max, which REDCap reads from the record being entered
    (docs/redcap.md); a bound whose field is blank or not a number does not apply."""
    if field_type(f) not in ("integer", "number") or not hasattr(f, "bound_reference"):
        return []
    try:
        number = float(str(value).replace(",", "."))
    except ValueError:
        return []
    found = []
    for key in ("min", "max"):
        ref = f.bound_reference(key)
        if ref is None:
            continue
        try:
            bound = float(str(record.get(ref, "")).replace(",", "."))
        except ValueError:
            continue
        if (key == "min" and number < bound) or (key == "max" and number > bound):
            found.append(Problem(f.name, key, {"min": number_text(bound) if key == "min" else "",
                                                "max": number_text(bound) if key == "max" else "",
                                                "units": f.units or ""}))
    return found


def _partial_or_date(f: Any, text: str, tags: Tags, today: dt.date) -> list[Problem]:
    day = _date(text)
    if day is None:
        if tags.partial_date and _PARTIAL.match(text):
            if text[:4] > today.isoformat()[:4] or (len(text) == 7 and text > today.isoformat()[:7]):
                return [Problem(f.name, "date_max", {"max": today.isoformat()})] if f.max == "today" else []
            return []
        return [Problem(f.name, "partial_date" if tags.partial_date else "date")]
    low, high = _bound_date(f.min, today), _bound_date(f.max, today)
    if low is not None and day < low:
        return [Problem(f.name, "date_min", {"min": low.isoformat()})]
    if high is not None and day > high:
        return [Problem(f.name, "date_max", {"max": high.isoformat()})]
    return []


def _text(f: Any, text: str, tags: Tags) -> list[Problem]:
    kind = field_type(f)
    limit = NOTES_MAX if kind == "notes" else TEXT_MAX
    if len(text) > limit:
        return [Problem(f.name, "length", {"max": limit})]
    if _control(text, allow_breaks=kind == "notes"):
        return [Problem(f.name, "control")]
    if tags.char_limit is not None and len(text) > tags.char_limit:
        return [Problem(f.name, "char_limit", {"max": tags.char_limit, "n": len(text)})]
    if tags.word_limit is not None and len(text.split()) > tags.word_limit:
        return [Problem(f.name, "word_limit", {"max": tags.word_limit, "n": len(text.split())})]
    validation = (getattr(f, "validation", None) or "").lower()
    if not validation:
        return []
    if validation == "email" and not _EMAIL.match(text):
        return [Problem(f.name, "email")]
    if validation.startswith("phone") and not _PHONE.match(text):
        return [Problem(f.name, "phone")]
    if validation == "integer":
        return _number(f, text, integer=True)
    if validation.startswith("number"):
        return _number(f, text, integer=False, comma=validation.endswith("comma_decimal"))
    if validation == "alpha_only" and not text.isalpha():
        return [Problem(f.name, "alpha")]
    if validation == "time" and not _TIME.match(text):
        return [Problem(f.name, "time")]
    return []


def _file(f: Any, value: Any, *, signature: bool) -> tuple[Any, list[Problem]]:
    if value in (None, "", {}):
        return "", []
    if not isinstance(value, Mapping):
        return "", [Problem(f.name, "file")]
    allowed = SIGNATURE_TYPES if signature else FILE_TYPES
    name, digest = str(value.get("name", ""))[:200], str(value.get("sha256", ""))
    size, content_type = value.get("size"), str(value.get("content_type", ""))
    if not _HASH.match(digest) or not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return "", [Problem(f.name, "file")]
    kept = {"name": name, "sha256": digest, "size": size, "content_type": content_type}
    if size > FILE_MAX_BYTES:
        return kept, [Problem(f.name, "file_size", {"max_mb": FILE_MAX_BYTES // (1024 * 1024)})]
    if content_type not in allowed:
        return kept, [Problem(f.name, "file_type", {"types": ", ".join(sorted(allowed))})]
    return kept, []


def check_value(f: Any, value: Any, tags: Tags, today: dt.date,
                previous: Any = None) -> tuple[Any, list[Problem]]:
    """One typed value: the value to keep (what was typed, even when refused) and its problems."""
    kind = field_type(f)
    if kind in ("file", "signature"):
        return _file(f, value, signature=kind == "signature")
    if kind == "checkbox":
        ticked = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
        cleaned = sorted({str(v).strip() for v in ticked if str(v).strip()})
        if len(cleaned) == 1 and cleaned[0] in MISSING_CODES:
            return cleaned, []
        codes = {c.code for c in f.choices or ()}
        unknown = [v for v in cleaned if v not in codes]
        if unknown:
            return cleaned, [Problem(f.name, "choice", {"value": ", ".join(unknown)})]
        hidden = [v for v in cleaned if v in tags.hide_choices and v not in (previous or [])]
        if hidden:
            return cleaned, [Problem(f.name, "choice", {"value": ", ".join(hidden)})]
        exclusive = [v for v in cleaned if v in tags.none_of_the_above]
        if exclusive and len(cleaned) > 1:
            return cleaned, [Problem(f.name, "none_of_the_above", {"value": ", ".join(exclusive)})]
        return cleaned, []
    if value is None:
        return "", []
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "", [Problem(f.name, "type")]
    text = str(value).strip()
    if not text:
        return "", []
    if text in MISSING_CODES:
        return text, []
    if kind in ("text", "notes"):
        return text, _text(f, text, tags)
    if kind == "integer":
        return text, _number(f, text, integer=True)
    if kind == "number":
        return text, _number(f, text, integer=False)
    if kind == "slider":
        low = f.min if isinstance(f.min, int | float) else 0
        high = f.max if isinstance(f.max, int | float) else 100
        if not _INTEGER.match(text) or not low <= int(text) <= high:
            return text, [Problem(f.name, "range", {"min": f"{low:g}", "max": f"{high:g}", "units": f.units or ""})]
        return text, []
    if kind == "date":
        return text, _partial_or_date(f, text, tags, today)
    if kind == "datetime":
        if not _DATETIME.match(text):
            return text, [Problem(f.name, "datetime")]
        try:
            dt.datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            return text, [Problem(f.name, "datetime")]
        return text.replace("T", " "), []
    if kind == "time":
        return text, [] if _TIME.match(text) else [Problem(f.name, "time")]
    if kind in ("yesno", "truefalse"):
        return text, [] if text in ("0", "1") else [Problem(f.name, kind)]
    if kind in ("radio", "dropdown"):
        codes = {c.code for c in f.choices or ()}
        if text not in codes or (text in tags.hide_choices and text != previous):
            return text, [Problem(f.name, "choice", {"value": text})]
        return text, []
    return text, [Problem(f.name, "computed")]


def _blank(value: Any) -> bool:
    return value in (None, "", [], {})


def number_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def initial_values(form: Any, *, today: dt.date, now: dt.datetime) -> dict[str, Any]:
    """What a new record starts with: ``@DEFAULT``, ``@TODAY`` and ``@NOW``."""
    found: dict[str, Any] = {}
    for f in form.fields:
        if not is_typed(f):
            continue
        tags = resolve(getattr(f, "annotation", None))
        if tags.today:
            found[f.name] = today.isoformat()
        elif tags.now:
            found[f.name] = now.strftime("%Y-%m-%d %H:%M")
        elif tags.default is not None:
            found[f.name] = tags.default
    return found


def clean(form: Any, raw: Mapping[str, Any], *, today: dt.date, now: dt.datetime | None = None,
          context: Mapping[str, Any] | None = None, events: Mapping[str, Mapping[str, Any]] | None = None,
          previous: Mapping[str, Any] | None = None, complete: bool = True, survey: bool = False,
          smart: Mapping[str, Any] | None = None) -> Outcome:
    """Check ``raw`` (field name → value) against ``form`` and return what to store.

    ``context`` holds values from elsewhere (other forms of the visit, derived ages); ``events`` the
    values of other visits by lower-case visit code, for ``[bl][field]``; ``previous`` the values
    saved before (a ``@READONLY`` field keeps them; a hidden choice already chosen stays valid).
    ``complete`` asks for every required field shown; ``survey`` marks the guardian's page
    (``@HIDDEN-SURVEY``); ``smart`` the values of REDCap smart variables the page knows
    (``[event-name]``, ``[record-name]``, ``[current-instance]``; docs/redcap.md).
    """
    now = now or dt.datetime.combine(today, dt.time(0, 0))
    previous = previous or {}
    fields = {f.name: f for f in form.fields}
    problems: list[Problem] = []
    for name in raw:
        if name not in fields:
            problems.append(Problem(str(name)[:100], "unknown", {"form": form.name}))
    first = not previous
    defaults = initial_values(form, today=today, now=now) if first else {}

    def record() -> dict[str, Any]:
        return {**(context or {}), **values}

    def condition(source: str) -> bool:
        try:
            return bool(is_true(evaluate(source, record(), events=events, smart=smart, today=today,
                                         missing_codes=MISSING_CODES)))
        except LogicError:
            return False

    values: dict[str, Any] = {}
    typed: dict[str, Any] = {}
    for f in form.fields:
        if getattr(f, "identifier", False):
            if not _blank(raw.get(f.name)):
                problems.append(Problem(f.name, "identifier"))
            continue
        if field_type(f) in COMPUTED:
            if not _blank(raw.get(f.name)):
                problems.append(Problem(f.name, "computed"))
            continue
        typed[f.name] = raw.get(f.name)
        values[f.name] = "" if field_type(f) != "checkbox" else []
    # First pass with the values as typed, so that @IF conditions see them.
    for name, value in typed.items():
        values[name] = value if value is not None else values[name]
    tags = {f.name: resolve(getattr(f, "annotation", None), condition) for f in form.fields}
    checked: dict[str, list[Problem]] = {}
    for name, value in typed.items():
        f, t = fields[name], tags[name]
        if t.calctext is not None:
            continue
        if t.readonly:
            value = previous.get(name, defaults.get(name, ""))
        values[name], checked[name] = check_value(f, value, t, today, previous.get(name))
    # Branching until nothing changes: a cleared field may hide the fields whose logic reads it.
    kept = dict(values)
    not_applicable: set[str] = set()
    for _round in range(len(form.fields) + 1):
        changed = False
        for f in form.fields:
            if not f.branching:
                continue
            shown = condition(f.branching)
            if shown == (f.name in not_applicable):
                changed = True
                if shown:
                    not_applicable.discard(f.name)
                    if f.name in kept:
                        values[f.name] = kept[f.name]
                else:
                    not_applicable.add(f.name)
                    if f.name in values:
                        values[f.name] = [] if field_type(f) == "checkbox" else ""
        if not changed:
            break
    for f in form.fields:
        kind, t = field_type(f), tags[f.name]
        if f.name in not_applicable:
            if kind == "calc" or t.calctext is not None:
                values[f.name] = ""
            continue
        if kind == "calc" and getattr(f, "calc", None):
            try:
                result = evaluate(f.calc, record(), events=events, smart=smart, today=today, missing_codes=MISSING_CODES)
            except LogicError:
                result = ""
            values[f.name] = "" if result == "" else number_text(result)
        elif t.calctext is not None and f.name in typed:
            try:
                result = evaluate(t.calctext, record(), events=events, smart=smart, today=today, missing_codes=MISSING_CODES)
            except LogicError:
                result = ""
            values[f.name] = number_text(result) if result != "" else ""
    for name, found in checked.items():
        if name not in not_applicable:
            problems += found or _referenced_bounds(fields[name], values.get(name), record())
    hidden = set(not_applicable)
    for f in form.fields:
        t = tags[f.name]
        if t.hidden or (survey and t.hidden_survey):
            hidden.add(f.name)
        if complete and f.required and f.name in typed and f.name not in hidden and _blank(values.get(f.name)):
            problems.append(Problem(f.name, "required"))
    return Outcome(values, problems, frozenset(not_applicable), frozenset(hidden), tags)
