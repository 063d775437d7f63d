"""REDCap action tags of a field's annotation, as the form engine applies them.

The annotation is read by the one parser of the protocol loader (:mod:`celltrial.study.protocol.action_tags`,
which also warns about what it cannot read when the dictionary loads); this module resolves ``@IF`` against
the record being entered and gives the engine the tags in force for one field on one page.

Applied: ``@HIDDEN``, ``@HIDDEN-SURVEY``, ``@HIDDEN-FORM``, ``@READONLY`` (and its -SURVEY/-FORM variants),
``@DEFAULT``, ``@NOW``, ``@TODAY``, ``@HIDECHOICE``, ``@CALCTEXT``, ``@IF``, ``@PLACEHOLDER``, ``@CHARLIMIT``,
``@WORDLIMIT``, ``@NONEOFTHEABOVE`` and celltrial's ``@PARTIALDATE`` (a date that may leave out the day or
month: ``2025-08``, ``2025``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from celltrial.study.protocol.action_tags import parse_action_tags


@dataclass(frozen=True)
class Tags:
    """The action tags in force for one field on one page (after ``@IF`` is resolved)."""

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


def resolve(annotation: str | None, condition: Callable[[str], bool] | None = None, *,
            survey: bool = False) -> Tags:
    """The tags of an annotation. ``condition`` evaluates an ``@IF`` condition against the record being
    entered (without one, ``@IF`` takes its 'false' branch, as REDCap does for a blank record); ``survey``
    marks the guardian's page, where the -SURVEY variants apply instead of the -FORM ones."""
    tags = parse_action_tags(annotation).resolve(condition or (lambda _condition: False))
    return Tags(
        hidden=tags.hidden or (tags.hidden_form and not survey),
        hidden_survey=tags.hidden_survey,
        readonly=tags.readonly_on(survey),
        default=tags.default,
        now=tags.now,
        today=tags.today,
        hide_choices=tags.hidechoice,
        calctext=tags.calctext,
        placeholder=tags.placeholder,
        char_limit=tags.charlimit,
        word_limit=tags.wordlimit,
        none_of_the_above=tags.none_of_the_above,
        partial_date=tags.partial_date,
        unknown=tuple(sorted(tags.all_unknown())),
    )
