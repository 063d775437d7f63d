"""REDCap action tags of a field's annotation, as the form engine reads them.

Supported: ``@HIDDEN``, ``@HIDDEN-SURVEY``, ``@READONLY``, ``@DEFAULT="…"``, ``@NOW``, ``@TODAY``,
``@HIDECHOICE="1,2"``, ``@CALCTEXT(expr)``, ``@IF(cond, tags if true, tags if false)``,
``@PLACEHOLDER="…"``, ``@CHARLIMIT=n``, ``@WORDLIMIT=n``, ``@NONEOFTHEABOVE=code`` and celltrial's own
``@PARTIALDATE`` (a date field that allows an unknown day or month: ``2025-08``, ``2025``).
Other tags (``@LANG-ZH-LABEL``, ``@UNITS`` …) are left to the protocol loader and ignored here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

KNOWN = frozenset({
    "HIDDEN", "HIDDEN-SURVEY", "READONLY", "DEFAULT", "NOW", "TODAY", "HIDECHOICE", "CALCTEXT", "IF",
    "PLACEHOLDER", "CHARLIMIT", "WORDLIMIT", "NONEOFTHEABOVE", "PARTIALDATE",
})
_NAME = re.compile(r"@([A-Z][A-Z0-9_-]*)")


@dataclass(frozen=True)
class Tags:
    """The action tags in force for one field (after ``@IF`` is resolved)."""

    hidden: bool = False
    hidden_survey: bool = False
    readonly: bool = False
    default: str | None = None
    now: bool = False
    today: bool = False
    hide_choices: frozenset[str] = frozenset()
    calctext: str | None = None
    placeholder: str | None = None
    char_limit: int | None = None
    word_limit: int | None = None
    none_of_the_above: frozenset[str] = frozenset()
    partial_date: bool = False
    unknown: tuple[str, ...] = field(default=())


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i


def _quoted(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    j = i + 1
    out = []
    while j < len(text) and text[j] != quote:
        out.append(text[j])
        j += 1
    return "".join(out), min(j + 1, len(text))


def _balanced(text: str, i: int) -> tuple[str, int]:
    """The text inside the parentheses opening at ``text[i]``; quotes may hold parentheses."""
    depth, j, quote = 0, i, ""
    while j < len(text):
        c = text[j]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return text[i + 1:j], j + 1
        j += 1
    return text[i + 1:], len(text)


def _split_top(text: str) -> list[str]:
    """Split at commas outside quotes and parentheses."""
    parts, depth, quote, start = [], 0, "", 0
    for j, c in enumerate(text):
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:j])
            start = j + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def raw_tags(annotation: str | None) -> list[tuple[str, str | None]]:
    """``(name, argument)`` pairs in order; ``@IF`` keeps its whole argument list as text."""
    text = annotation or ""
    found: list[tuple[str, str | None]] = []
    i = 0
    while True:
        m = _NAME.search(text, i)
        if m is None:
            return found
        name, i = m.group(1), m.end()
        j = _skip_space(text, i)
        arg: str | None = None
        if j < len(text) and text[j] == "(":
            arg, i = _balanced(text, j)
        elif j < len(text) and text[j] == "=":
            k = _skip_space(text, j + 1)
            if k < len(text) and text[k] in "'\"":
                arg, i = _quoted(text, k)
            else:
                m2 = re.compile(r"[^\s]*").match(text, k)
                arg = m2.group(0) if m2 else ""
                i = k + len(arg)
        found.append((name, arg))


def _int(arg: str | None) -> int | None:
    try:
        return int(str(arg).strip())
    except (TypeError, ValueError):
        return None


def _codes(arg: str | None) -> frozenset[str]:
    return frozenset(c.strip() for c in (arg or "").split(",") if c.strip())


def resolve(annotation: str | None, condition: Callable[[str], bool] | None = None) -> Tags:
    """The tags of an annotation. ``condition`` evaluates an ``@IF`` condition against the record
    being entered (without one, ``@IF`` takes its 'false' branch, as REDCap does for a blank record)."""
    values: dict[str, object] = {}
    unknown: list[str] = []

    def take(pairs: list[tuple[str, str | None]], depth: int) -> None:
        for name, arg in pairs:
            if name == "IF" and depth < 5:
                parts = _split_top(arg or "")
                if len(parts) >= 2:
                    chosen = parts[1] if condition is not None and condition(parts[0]) else (
                        parts[2] if len(parts) > 2 else "")
                    take(raw_tags(chosen), depth + 1)
            elif name in KNOWN:
                values[name] = arg
            else:
                unknown.append(name)

    take(raw_tags(annotation), 0)
    return Tags(
        hidden="HIDDEN" in values,
        hidden_survey="HIDDEN-SURVEY" in values,
        readonly="READONLY" in values,
        default=values["DEFAULT"] if isinstance(values.get("DEFAULT"), str) else None,  # type: ignore[arg-type]
        now="NOW" in values,
        today="TODAY" in values,
        hide_choices=_codes(values.get("HIDECHOICE")),  # type: ignore[arg-type]
        calctext=values["CALCTEXT"] if isinstance(values.get("CALCTEXT"), str) else None,  # type: ignore[arg-type]
        placeholder=values["PLACEHOLDER"] if isinstance(values.get("PLACEHOLDER"), str) else None,  # type: ignore[arg-type]
        char_limit=_int(values.get("CHARLIMIT")),  # type: ignore[arg-type]
        word_limit=_int(values.get("WORDLIMIT")),  # type: ignore[arg-type]
        none_of_the_above=_codes(values.get("NONEOFTHEABOVE")),  # type: ignore[arg-type]
        partial_date="PARTIALDATE" in values,
        unknown=tuple(unknown),
    )
