"""Sentinel and stagger (issue 12 §2) at their boundary days, through the escalation interface.

The protocol's rule (default protocol ``sentinel:``: observation_days 14, stagger_days 7,
src_decision_required true): the first participant of a cohort is dosed alone; the next only after the
sentinel's 14-day observation (Day 0 + 14 is the first allowed day), later ones at least 7 days apart,
and, because the protocol requires it, only after a signed SRC decision on the sentinel.
"""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.core.errors import ValidationFailed
from celltrial.escalation import interface, services
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from celltrial.escalation.rules import stagger_refusal
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

D0 = dt.date(2026, 3, 1)


def _rule(others, on, **kw):
    args = {"observation_days": 14, "stagger_days": 7, "capacity": 3, "sentinel_decided": True,
            "sentinel_decision_required": True, **kw}
    return stagger_refusal(others, on, **args)


def test_pure_rule_boundaries():
    assert _rule([], D0) is None  # the sentinel
    day13 = _rule([D0], D0 + dt.timedelta(days=13))
    assert day13.rule == "sentinel" and day13.allowed_from == dt.date(2026, 3, 15)
    assert _rule([D0], dt.date(2026, 3, 15)) is None
    second = dt.date(2026, 3, 15)
    early = _rule([D0, second], dt.date(2026, 3, 21))
    assert early.rule == "stagger" and early.allowed_from == dt.date(2026, 3, 22)
    assert _rule([D0, second], dt.date(2026, 3, 22)) is None
    undecided = _rule([D0], dt.date(2026, 3, 15), sentinel_decided=False)
    assert undecided.rule == "sentinel_decision" and undecided.allowed_from is None
    assert _rule([D0], dt.date(2026, 3, 15), sentinel_decided=False, sentinel_decision_required=False) is None
    assert _rule([D0, second, dt.date(2026, 3, 22)], dt.date(2026, 4, 1)).rule == "full"
    assert _rule([D0], dt.date(2026, 4, 1), closed=True).rule == "closed"


def test_second_dosing_refused_before_day_14_with_the_date_then_after_the_sentinel_decision(trial, src, dlts):
    today = services.today()
    day0 = today - dt.timedelta(days=40)
    a, b, c = trial.enrol(), trial.enrol(), trial.enrol()
    assert {a.cohort, b.cohort, c.cohort} == {1}
    trial.dose(a, day0)
    refusal = interface.dosing_refusal(b, day0 + dt.timedelta(days=13))
    assert refusal is not None and refusal.allowed_from == day0 + dt.timedelta(days=14)
    assert (day0 + dt.timedelta(days=14)).isoformat() in refusal.reason
    with pytest.raises(ValidationFailed):
        trial.dose(b, day0)  # the sentinel is dosed alone, not with a second child on the same day
    # Day 14: the interval is over, but the protocol wants the SRC's sentinel decision first.
    waiting = interface.dosing_refusal(b, day0 + dt.timedelta(days=14))
    assert waiting is not None and waiting.allowed_from is None and "SRC" in waiting.reason
    dlts[a.subject_id] = "no_dlt"
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="sentinel")
    decision = services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="proceed")
    services.sign_decision(trial.actor(src[0], DECISION_SIGN), decision, password=PASSWORD)
    assert interface.dosing_refusal(b, day0 + dt.timedelta(days=14)) is None
    trial.dose(b, day0 + dt.timedelta(days=14))
    third = interface.dosing_refusal(c, day0 + dt.timedelta(days=20))
    assert third is not None and third.allowed_from == day0 + dt.timedelta(days=21)
    assert interface.dosing_refusal(c, day0 + dt.timedelta(days=21)) is None
