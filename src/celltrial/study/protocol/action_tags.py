"""REDCap action tags: the Field Annotation of a dictionary field, parsed (pure code).

An annotation is free text in which action tags are embedded: an upper-case name after `@`
(REDCap's tags are case sensitive, `@hidden` is plain text), then optionally `='value'` /
`="value"` / `=value` or a parenthesised argument (`@CALCTEXT(...)`, `@IF(...)`). Anything else
in the annotation is a note for humans and is ignored here.

    >>> tags = parse_action_tags("@HIDECHOICE='3,4' @IF([age] < 7, @READONLY, '')")
    >>> tags.hidechoice
    frozenset({'3', '4'})
    >>> tags.resolve(lambda condition: True).readonly
    True

`ActionTags.resolve(evaluate)` applies the `@IF` tags, given a callable that evaluates a
condition (REDCap logic text) to a bool: the capture room passes the expression language with
the record. Tags seen but not supported land in `unknown`, for the loader's warnings; tags with
an unreadable value land in `problems`. See docs/redcap.md for the list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

# The tags this platform acts on (REDCap's names, upper case).
SUPPORTED = frozenset({
    "HIDDEN", "HIDDEN-SURVEY", "HIDDEN-FORM", "READONLY", "READONLY-SURVEY", "READONLY-FORM",
    "DEFAULT", "NOW", "TODAY", "HIDECHOICE", "CALCTEXT", "IF", "PLACEHOLDER", "CHARLIMIT",
    "WORDLIMIT", "NONEOFTHEABOVE", "UNITS",
    # celltrial's own, carried by the dictionary so REDCap ignores them (see redcap.py)
    "LANG-ZH-LABEL", "LANG-ZH-CHOICES", "LANG-ZH-NOTE", "LANG-ZH-SECTION",
})

_NAME = re.compile(r"@([A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*)")
_LIMIT = re.compile(r"^\s*([0-9]{1,9})\s*$")


class IfTag(NamedTuple):
    """`@IF(condition, tags if true, tags if false)`; the branches are parsed tags."""

    condition: str
    then: ActionTags
    otherwise: ActionTags


@dataclass(frozen=True)
class ActionTags:
    """The action tags of one field. Empty (`ActionTags()`) when the annotation has none."""

    hidden: bool = False  # @HIDDEN: hidden on forms and surveys
    hidden_survey: bool = False  # @HIDDEN-SURVEY: hidden on surveys (guardian questionnaires)
    hidden_form: bool = False  # @HIDDEN-FORM: hidden on data-entry forms
    readonly: bool = False  # @READONLY
    readonly_survey: bool = False  # @READONLY-SURVEY
    readonly_form: bool = False  # @READONLY-FORM
    default: str | None = None  # @DEFAULT='value': the value of an empty field when the form opens
    now: bool = False  # @NOW: the current date and time into an empty field
    today: bool = False  # @TODAY: the current date into an empty field
    hidechoice: frozenset[str] = frozenset()  # @HIDECHOICE='3,4': codes not offered (old values kept)
    calctext: str | None = None  # @CALCTEXT(expression): the field shows the expression's text value
    if_: tuple[IfTag, ...] = ()  # @IF(condition, true-tags, false-tags), applied by resolve()
    placeholder: str | None = None  # @PLACEHOLDER='text'
    charlimit: int | None = None  # @CHARLIMIT=200
    wordlimit: int | None = None  # @WORDLIMIT=50
    none_of_the_above: frozenset[str] = frozenset()  # @NONEOFTHEABOVE='98,99' (checkbox)
    units: str | None = None  # @UNITS="mmHg" (celltrial)
    zh_label: str | None = None  # @LANG-ZH-LABEL="…" (celltrial)
    zh_choices: str | None = None  # @LANG-ZH-CHOICES="1, 是 | 0, 否" (celltrial)
    zh_note: str | None = None  # @LANG-ZH-NOTE="…" (celltrial)
    zh_section: str | None = None  # @LANG-ZH-SECTION="…" (celltrial)
    partial_date: bool = False  # @PARTIALDATE: a date that may leave out the day or month, 2025-08 (celltrial)
    unknown: frozenset[str] = frozenset()  # tag names seen but not supported (without the @)
    problems: tuple[str, ...] = field(default=(), compare=False)  # tags whose value could not be read

    def __bool__(self) -> bool:
        return self != EMPTY

    def hidden_on(self, survey: bool) -> bool:
        """Hidden on a survey page (guardian link) or on a data-entry form."""
        return self.hidden or (self.hidden_survey if survey else self.hidden_form)

    def readonly_on(self, survey: bool) -> bool:
        return self.readonly or (self.readonly_survey if survey else self.readonly_form)

    def resolve(self, evaluate: Callable[[str], bool]) -> ActionTags:
        """These tags with every `@IF` replaced by the branch its condition selects (nested ones too).

        `evaluate(condition_text)` returns whether the condition holds; tags outside the @IF and
        in the chosen branch are combined (flags: either; values: the branch's wins; code sets: union).
        """
        result = replace(self, if_=())
        for tag in self.if_:
            branch = tag.then if evaluate(tag.condition) else tag.otherwise
            result = _merge(result, branch.resolve(evaluate))
        return result

    def conditions(self) -> tuple[str, ...]:
        """Every @IF condition (nested ones too), for checking them against the dictionary."""
        out: list[str] = []
        for tag in self.if_:
            out.append(tag.condition)
            out.extend(tag.then.conditions())
            out.extend(tag.otherwise.conditions())
        return tuple(out)

    def all_unknown(self) -> frozenset[str]:
        names = set(self.unknown)
        for tag in self.if_:
            names |= tag.then.all_unknown() | tag.otherwise.all_unknown()
        return frozenset(names)

    def all_problems(self) -> tuple[str, ...]:
        out = list(self.problems)
        for tag in self.if_:
            out += [*tag.then.all_problems(), *tag.otherwise.all_problems()]
        return tuple(out)


EMPTY = ActionTags()
_SET_FIELDS = frozenset({"hidechoice", "none_of_the_above", "unknown"})


def _merge(base: ActionTags, extra: ActionTags) -> ActionTags:
    changes: dict[str, object] = {}
    for f in fields(ActionTags):
        mine, theirs = getattr(base, f.name), getattr(extra, f.name)
        if f.name in _SET_FIELDS:
            changes[f.name] = mine | theirs
        elif f.name in ("if_", "problems"):
            changes[f.name] = mine + theirs
        elif isinstance(mine, bool):
            changes[f.name] = mine or theirs
        else:
            changes[f.name] = theirs if theirs is not None else mine
    return ActionTags(**changes)  # type: ignore[arg-type]


# --- parsing ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def parse_action_tags(text: str | None) -> ActionTags:
    """The action tags of a Field Annotation (never raises; unreadable values go to `.problems`)."""
    if not text or "@" not in text:
        return EMPTY
    return _Reader(text).tags()


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.values: dict[str, object] = {}
        self.unknown: set[str] = set()
        self.ifs: list[IfTag] = []
        self.problems: list[str] = []

    def tags(self) -> ActionTags:
        text = self.text
        while True:
            at = text.find("@", self.i)
            if at == -1:
                break
            match = _NAME.match(text, at)
            # A tag starts the annotation or follows white space (REDCap: "a space or line break
            # between them"); `joe@site.org` or `@hidden` are text.
            if match is None or (at > 0 and not text[at - 1].isspace()) or _continues(text, match.end()):
                self.i = at + 1
                continue
            name = match.group(1)
            self.i = match.end()
            argument = self._argument()
            self._take(name, argument)
        return ActionTags(**self.values, if_=tuple(self.ifs), unknown=frozenset(self.unknown),  # type: ignore[arg-type]
                          problems=tuple(self.problems))

    def _argument(self) -> tuple[str, str] | None:
        """('=', value) or ('(', inside) after a tag name, or None for a bare tag."""
        text, i = self.text, self.i
        j = i
        while j < len(text) and text[j] in " \t":
            j += 1
        if j < len(text) and text[j] == "=":
            j += 1
            while j < len(text) and text[j] in " \t":
                j += 1
            if j < len(text) and text[j] in "'\"":
                close = text.find(text[j], j + 1)
                if close == -1:
                    self.problems.append(f"a quoted value is never closed: {text[j:j + 40]!r}")
                    self.i = len(text)
                    return ("=", text[j + 1:])
                self.i = close + 1
                return ("=", text[j + 1:close])
            k = j
            while k < len(text) and not text[k].isspace():
                k += 1
            self.i = k
            return ("=", text[j:k])
        if i < len(text) and text[i] == "(":
            close = _closing_paren(text, i)
            if close == -1:
                self.problems.append(f"'(' after a tag is never closed: {text[i:i + 40]!r}")
                self.i = len(text)
                return ("(", text[i + 1:])
            self.i = close + 1
            return ("(", text[i + 1:close])
        return None

    def _take(self, name: str, argument: tuple[str, str] | None) -> None:
        value = argument[1] if argument else None
        flags = {"HIDDEN": "hidden", "HIDDEN-SURVEY": "hidden_survey", "HIDDEN-FORM": "hidden_form",
                 "READONLY": "readonly", "READONLY-SURVEY": "readonly_survey",
                 "READONLY-FORM": "readonly_form", "NOW": "now", "TODAY": "today",
                 "PARTIALDATE": "partial_date"}
        texts = {"DEFAULT": "default", "PLACEHOLDER": "placeholder", "UNITS": "units",
                 "LANG-ZH-LABEL": "zh_label", "LANG-ZH-CHOICES": "zh_choices", "LANG-ZH-NOTE": "zh_note",
                 "LANG-ZH-SECTION": "zh_section"}
        if name in flags:
            self.values[flags[name]] = True
        elif name in texts:
            if value is None or argument is None or argument[0] != "=":
                self.problems.append(f"@{name} needs a value, e.g. @{name}='…'")
            else:
                self.values[texts[name]] = value
        elif name in ("CHARLIMIT", "WORDLIMIT"):
            number = _LIMIT.match(value or "")
            if number is None or int(number.group(1)) == 0:
                self.problems.append(f"@{name} needs a positive whole number, e.g. @{name}=200; got {value!r}")
            else:
                self.values[name.lower()] = int(number.group(1))
        elif name in ("HIDECHOICE", "NONEOFTHEABOVE"):
            codes = frozenset(part.strip().strip("'\"") for part in (value or "").split(",")) - {""}
            if not codes:
                self.problems.append(f"@{name} needs choice codes, e.g. @{name}='98,99'")
            else:
                key = "hidechoice" if name == "HIDECHOICE" else "none_of_the_above"
                earlier = self.values.get(key)
                self.values[key] = (earlier | codes) if isinstance(earlier, frozenset) else codes
        elif name == "CALCTEXT":
            if argument is None or argument[0] != "(" or not argument[1].strip():
                self.problems.append("@CALCTEXT needs an expression in parentheses, e.g. @CALCTEXT(if([a]=1,'x','y'))")
            else:
                self.values["calctext"] = argument[1].strip()
        elif name == "IF":
            self._if(argument)
        else:
            self.unknown.add(name)

    def _if(self, argument: tuple[str, str] | None) -> None:
        parts = _split_top_level(argument[1]) if argument and argument[0] == "(" else []
        if len(parts) != 3 or not parts[0].strip():
            self.problems.append("@IF needs (condition, tags if true, tags if false)")
            return
        condition, then, otherwise = (part.strip() for part in parts)
        self.ifs.append(IfTag(condition, parse_action_tags(_unquote(then)), parse_action_tags(_unquote(otherwise))))


def _continues(text: str, end: int) -> bool:
    """`@HIDDENX` or `@hidden`: the name runs on into letters that are not part of a tag name."""
    return end < len(text) and (text[end].isalnum() or text[end] == "_")


def _unquote(branch: str) -> str:
    if len(branch) >= 2 and branch[0] == branch[-1] and branch[0] in "'\"":
        return branch[1:-1]
    return branch


def _closing_paren(text: str, start: int) -> int:
    """The index of the `)` that closes the `(` at `start`, skipping quoted text; -1 if none."""
    depth = 0
    quote: str | None = None
    for k in range(start, len(text)):
        c = text[k]
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return k
    return -1


def _split_top_level(text: str) -> list[str]:
    """Split at commas outside quotes, parentheses and brackets."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    start = 0
    for k, c in enumerate(text):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return parts
