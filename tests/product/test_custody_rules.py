"""The custody state machine (pure): no event skipped or repeated out of order, expiry and the hold time
after thaw enforced; every refusal says why and which events may come next."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.product.rules.custody import (
    CustodyEvent as E,
)
from celltrial.product.rules.custody import (
    CustodyRefused,
    LedgerEntry,
    Location,
    check_next,
    state_of,
)
from celltrial.product.rules.errors import RuleInputError

T0 = dt.datetime(2025, 3, 1, 8, 0, tzinfo=dt.UTC)
VEIN_TO_VEIN = [E.STORED, E.SHIPPED, E.RECEIVED, E.STORED, E.THAWED, E.PREPARED, E.ADMINISTERED]


def _ledger(events, start=T0, step=dt.timedelta(minutes=10)):
    return [LedgerEntry(e, start + i * step) for i, e in enumerate(events)]


def test_the_whole_path_is_accepted_event_by_event():
    ledger: list[LedgerEntry] = []
    for i, event in enumerate(VEIN_TO_VEIN):
        check_next(ledger, event, T0 + dt.timedelta(minutes=10 * i))
        ledger.append(LedgerEntry(event, T0 + dt.timedelta(minutes=10 * i)))
    final = state_of(ledger)
    assert final.location is Location.GONE and final.allowed == ()


def test_stored_means_the_manufacturer_before_shipping_and_the_site_after_receipt():
    assert state_of(_ledger([E.STORED])).allowed == (E.SHIPPED, E.DESTROYED)
    assert set(state_of(_ledger([E.STORED, E.SHIPPED, E.RECEIVED, E.STORED])).allowed) == {E.THAWED, E.RETURNED,
                                                                                          E.DESTROYED}


def test_a_thaw_before_receipt_is_refused_with_the_allowed_events():
    with pytest.raises(CustodyRefused) as refused:
        check_next(_ledger([E.STORED, E.SHIPPED]), E.THAWED, T0 + dt.timedelta(hours=1))
    assert refused.value.allowed == (E.RECEIVED,)
    assert "'thawed' cannot follow 'shipped'" in str(refused.value) and "Allowed next: received." in str(refused.value)


def test_a_repeated_event_is_refused():
    ledger = _ledger([E.STORED, E.SHIPPED, E.RECEIVED, E.THAWED])
    with pytest.raises(CustodyRefused, match="'thawed' was already recorded"):
        check_next(ledger, E.THAWED, T0 + dt.timedelta(hours=2))


def test_the_first_event_must_be_stored():
    with pytest.raises(CustodyRefused, match="cannot be the first event"):
        check_next([], E.RECEIVED, T0)


def test_nothing_follows_administration_or_destruction():
    for end in (E.ADMINISTERED, E.DESTROYED):
        events = [*VEIN_TO_VEIN[:-1], end]
        with pytest.raises(CustodyRefused, match="ledger is closed"):
            check_next(_ledger(events), E.DESTROYED, T0 + dt.timedelta(days=1))


def test_an_event_before_the_previous_one_is_refused():
    with pytest.raises(CustodyRefused, match="is before the previous event"):
        check_next(_ledger([E.STORED]), E.SHIPPED, T0 - dt.timedelta(minutes=1))


def test_after_expiry_only_destruction_or_return():
    ledger = _ledger([E.STORED, E.SHIPPED, E.RECEIVED])
    expiry = T0 + dt.timedelta(hours=1)
    with pytest.raises(CustodyRefused, match="expired") as refused:
        check_next(ledger, E.THAWED, expiry, expires_at=expiry)
    assert set(refused.value.allowed) == {E.RETURNED, E.DESTROYED}
    check_next(ledger, E.DESTROYED, expiry + dt.timedelta(minutes=1), expires_at=expiry)


def test_the_hold_time_after_thaw_is_enforced():
    ledger = _ledger([E.STORED, E.SHIPPED, E.RECEIVED, E.THAWED])
    thawed = ledger[-1].at
    check_next(ledger, E.PREPARED, thawed + dt.timedelta(hours=4), hours_after_thaw=4)  # boundary inclusive
    with pytest.raises(CustodyRefused, match="more than 4 h after the thaw") as refused:
        check_next(ledger, E.PREPARED, thawed + dt.timedelta(hours=4, seconds=1), hours_after_thaw=4)
    assert refused.value.allowed == (E.DESTROYED,)
    prepared = [*ledger, LedgerEntry(E.PREPARED, thawed + dt.timedelta(hours=1))]
    with pytest.raises(CustodyRefused, match="after the thaw"):
        check_next(prepared, E.ADMINISTERED, thawed + dt.timedelta(hours=5), hours_after_thaw=4)


def test_naive_times_are_refused():
    with pytest.raises(RuleInputError, match="time zone"):
        check_next([], E.STORED, dt.datetime(2025, 1, 1))


@given(st.lists(st.sampled_from(list(E)), max_size=12))
def test_only_paths_of_the_graph_are_accepted(events):
    """Replaying any sequence: each accepted event is one the state allowed; a refused one changes nothing."""
    ledger: list[LedgerEntry] = []
    for i, event in enumerate(events):
        before = state_of(ledger)
        at = T0 + dt.timedelta(minutes=i)
        try:
            check_next(ledger, event, at)
        except CustodyRefused:
            assert event not in before.allowed
            continue
        assert event in before.allowed
        ledger.append(LedgerEntry(event, at))
    administered = [e for e in ledger if e.event is E.ADMINISTERED]
    assert len(administered) <= 1
    if administered:
        kinds = [e.event for e in ledger]
        assert kinds.index(E.RECEIVED) < kinds.index(E.THAWED) < kinds.index(E.PREPARED) < kinds.index(E.ADMINISTERED)
