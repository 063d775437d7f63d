"""The custody ledger of one unit: which event may come next, and the time limits it must respect (pure).

A unit's life is a path through these events, each by a person at a place at a time::

    stored (manufacturer) → shipped → received (site) → [stored (site)] → thawed → prepared → administered
                                                      ↘ returned → stored (manufacturer)
    destroyed may end the path from any state before administration.

No event may be skipped (a unit cannot be thawed before it was received at a site) or repeated out of
order (a second thaw, an administration after destruction); each event is at or after the one before it.
The pattern follows OpenSpecimen's typed specimen events (transfer, received, disposal, return) and
clinicedc ``edc_pharmacy``'s append-only stock ledger (domain note peer-systems §2.4–2.5): the ledger is
only ever appended to; the unit's state is derived from it.

Time limits (both checked here, with the reason):

- **expiry**: after the lot's expiry only ``destroyed`` or ``returned`` may be recorded (21 CFR 1271 /
  ISBT 128 ST-004 labels carry an expiry; a unit past it is not given);
- **time after thaw**: ``prepared`` and ``administered`` must fall within the hold time after ``thawed``
  (product-specific stability data; the default 4 h is ILLUSTRATIVE and is a parameter).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from celltrial.core.messages import Msg
from celltrial.product.rules.errors import RuleInputError

#: ILLUSTRATIVE hold time from thaw to the end of administration; the sponsor's stability data set it.
DEFAULT_HOURS_AFTER_THAW = 4.0


class CustodyEvent(StrEnum):
    STORED = "stored"
    SHIPPED = "shipped"
    RECEIVED = "received"
    THAWED = "thawed"
    PREPARED = "prepared"
    ADMINISTERED = "administered"
    DESTROYED = "destroyed"
    RETURNED = "returned"


class Location(StrEnum):
    NOWHERE = "not yet stored"
    MANUFACTURER = "manufacturer"
    IN_TRANSIT = "in transit"
    SITE = "site"
    GONE = "gone"  # administered or destroyed


E = CustodyEvent
_ENDED = frozenset({E.ADMINISTERED, E.DESTROYED})

# What may follow the last event. ``stored`` means "at the manufacturer" after nothing or a return,
# and "in the site's store" after a receipt: where the unit is decides what may follow it.
_NEXT: dict[E | None, tuple[E, ...]] = {
    None: (E.STORED,),
    E.RECEIVED: (E.STORED, E.THAWED, E.RETURNED, E.DESTROYED),
    E.SHIPPED: (E.RECEIVED,),
    E.THAWED: (E.PREPARED, E.DESTROYED),
    E.PREPARED: (E.ADMINISTERED, E.DESTROYED),
    E.RETURNED: (E.STORED, E.DESTROYED),
    E.ADMINISTERED: (),
    E.DESTROYED: (),
}
_STORED_AT_MANUFACTURER = (E.SHIPPED, E.DESTROYED)
_STORED_AT_SITE = (E.THAWED, E.RETURNED, E.DESTROYED)


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded event (as the ledger holds it)."""

    event: CustodyEvent
    at: dt.datetime


@dataclass(frozen=True)
class CustodyState:
    last: CustodyEvent | None
    location: Location
    thawed_at: dt.datetime | None
    allowed: tuple[CustodyEvent, ...]


class CustodyRefused(RuleInputError):
    """An event that may not be recorded now; says why and which events may come next."""

    def __init__(self, message: str, allowed: Sequence[CustodyEvent]):
        self.allowed = tuple(allowed)
        nxt: Any = tuple(Msg(e.value) for e in self.allowed) if self.allowed else Msg(
            "none (the unit's ledger is closed)")
        self.message = Msg("%(why)s Allowed next: %(next)s.", why=message, next=nxt)
        super().__init__(str(self.message))


def _aware(at: dt.datetime, what: str) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise RuleInputError(f"{what} must carry a time zone (times are stored in UTC)")


def state_of(ledger: Sequence[LedgerEntry]) -> CustodyState:
    """Replay the ledger (oldest first): the last event, where the unit is, when it was thawed, what may follow."""
    location = Location.NOWHERE
    last: CustodyEvent | None = None
    thawed_at = None
    for entry in ledger:
        if entry.event is E.STORED:
            location = Location.SITE if last is E.RECEIVED else Location.MANUFACTURER
        elif entry.event is E.SHIPPED:
            location = Location.IN_TRANSIT
        elif entry.event is E.RECEIVED:
            location = Location.SITE
        elif entry.event is E.RETURNED:
            location = Location.MANUFACTURER
        elif entry.event is E.THAWED:
            thawed_at = entry.at
        elif entry.event in _ENDED:
            location = Location.GONE
        last = entry.event
    allowed: tuple[CustodyEvent, ...]
    if last is E.STORED:
        allowed = _STORED_AT_SITE if location is Location.SITE else _STORED_AT_MANUFACTURER
    else:
        allowed = _NEXT[last]
    return CustodyState(last, location, thawed_at, allowed)


def check_next(
    ledger: Sequence[LedgerEntry],
    event: CustodyEvent,
    at: dt.datetime,
    *,
    expires_at: dt.datetime | None = None,
    hours_after_thaw: float = DEFAULT_HOURS_AFTER_THAW,
) -> CustodyState:
    """Refuse ``event`` at ``at`` unless it may follow the ledger now; return the state it leads to.

    Raises :class:`CustodyRefused` (out of order, repeated, before the previous event, past expiry,
    past the hold time after thaw) with the reason and the events allowed next.
    """
    _aware(at, "the event time")
    if expires_at is not None:
        _aware(expires_at, "the expiry")
    if not hours_after_thaw > 0:
        raise RuleInputError(f"the hold time after thaw must be a positive number of hours, got {hours_after_thaw}")
    state = state_of(ledger)
    if event not in state.allowed:
        if state.last is None:
            why = Msg("'%(event)s' cannot be the first event: a unit's ledger starts with 'stored'.",
                      event=Msg(event.value))
        elif event in {e.event for e in ledger} and event is not E.STORED:
            why = Msg("'%(event)s' was already recorded; it cannot be recorded again after '%(last)s'.",
                      event=Msg(event.value), last=Msg(state.last.value))
        else:
            why = Msg("'%(event)s' cannot follow '%(last)s' (the unit is %(where)s).", event=Msg(event.value),
                      last=Msg(state.last.value), where=_where(state))
        raise CustodyRefused(why, state.allowed)
    # Times are entered to the second: an event in the same second as the one before it is not before it.
    if ledger and at.replace(microsecond=0) < ledger[-1].at.replace(microsecond=0):
        raise CustodyRefused(
            Msg("'%(event)s' at %(at)s is before the previous event '%(previous)s' at %(previous_at)s.",
                event=Msg(event.value), at=at.isoformat(), previous=Msg(ledger[-1].event.value),
                previous_at=ledger[-1].at.isoformat()), state.allowed)
    if expires_at is not None and at >= expires_at and event not in (E.DESTROYED, E.RETURNED):
        raise CustodyRefused(
            Msg("the unit expired at %(at)s: only 'destroyed' or 'returned' may be recorded.",
                at=expires_at.isoformat()),
            tuple(e for e in state.allowed if e in (E.DESTROYED, E.RETURNED)))
    if event in (E.PREPARED, E.ADMINISTERED) and state.thawed_at is not None:
        limit = state.thawed_at + dt.timedelta(hours=hours_after_thaw)
        if at > limit:
            raise CustodyRefused(
                Msg("'%(event)s' at %(at)s is more than %(hours)s h after the thaw at %(thawed_at)s (limit "
                    "%(limit)s): the unit must be destroyed.", event=Msg(event.value), at=at.isoformat(),
                    hours=f"{hours_after_thaw:g}", thawed_at=state.thawed_at.isoformat(), limit=limit.isoformat()),
                (E.DESTROYED,))
    return state_of([*ledger, LedgerEntry(event, at)])


def _where(state: CustodyState) -> Msg:
    if state.location is Location.GONE:
        return Msg(state.last.value if state.last else "gone")
    if state.last is E.THAWED:
        return Msg("thawed")
    if state.last is E.PREPARED:
        return Msg("prepared for administration")
    if state.location is Location.MANUFACTURER:
        return Msg("at the manufacturer")
    if state.location is Location.SITE:
        return Msg("at the site")
    return Msg(state.location.value)
