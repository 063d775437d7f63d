"""Freeze and lock: which hold applies to a form, from the database down to one form.

Levels, widest first: database, participant, visit, form. A **freeze** stops data entry (queries may
still be raised and answered, source data still verified); a **lock** stops data entry, new queries and
SDV changes. When several holds cover a form the one reported is the strongest (lock before freeze),
then the widest level, so the message names what must be lifted first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    DATABASE = "database"
    PARTICIPANT = "participant"
    VISIT = "visit"
    FORM = "form"


class Kind(StrEnum):
    FREEZE = "freeze"
    LOCK = "lock"


LEVEL_ORDER = (Level.DATABASE, Level.PARTICIPANT, Level.VISIT, Level.FORM)


@dataclass(frozen=True)
class Hold:
    level: str
    kind: str
    participant: int | None = None
    visit: str = ""
    form: str = ""

    def covers(self, participant: int, visit: str, form: str) -> bool:
        if self.level == Level.DATABASE:
            return True
        if self.participant != participant:
            return False
        if self.level == Level.PARTICIPANT:
            return True
        if self.visit != visit:
            return False
        return self.level == Level.VISIT or self.form == form


def scope_key(level: str, participant: int | None = None, visit: str = "", form: str = "") -> str:
    """One text key per scope, so that at most one hold is active on a scope."""
    if level == Level.DATABASE:
        return "database"
    if participant is None:
        raise ValueError(f"a {level} hold needs a participant")
    if level == Level.PARTICIPANT:
        return f"participant:{participant}"
    if not visit:
        raise ValueError(f"a {level} hold needs a visit")
    if level == Level.VISIT:
        return f"visit:{participant}:{visit}"
    if not form:
        raise ValueError("a form hold needs a form")
    return f"form:{participant}:{visit}:{form}"


def governing(holds: Iterable[Hold], participant: int, visit: str, form: str) -> Hold | None:
    """The hold that refuses an edit of this form, or None when none covers it."""
    covering = [h for h in holds if h.covers(participant, visit, form)]
    if not covering:
        return None
    return min(covering, key=lambda h: (h.kind != Kind.LOCK, LEVEL_ORDER.index(Level(h.level))))


def stops(hold: Hold | None, what: str) -> bool:
    """Whether ``hold`` stops ``what``: "entry" (data entry), "query" (raising or answering), "sdv"."""
    if hold is None:
        return False
    return what == "entry" or hold.kind == Kind.LOCK
