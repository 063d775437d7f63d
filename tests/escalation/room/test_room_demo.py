"""The escalation demo loader: the demo SRC member reviews what the data allow; running twice changes nothing."""

from __future__ import annotations

import time

import pytest

from celltrial.escalation import interface
from celltrial.escalation.demo import load_escalation_demo
from celltrial.escalation.models import Cohort, Decision, Packet
from celltrial.study.interface import protocol_in_force
from tests.conftest import PASSWORD, TRIAL_WIDE

pytestmark = pytest.mark.django_db


def test_demo_reviews_the_sentinel_then_the_cohort_and_is_idempotent(trial, clock, dlts, make_user):
    make_user("src", "src_member", at=TRIAL_WIDE)
    people = [trial.enrol() for _ in range(3)]
    trial.dose(people[0], clock.today())
    load_escalation_demo(lambda _line: None, password=PASSWORD)
    assert not Packet.objects.exists()  # the sentinel is still in observation
    clock.forward(14)
    dlts[people[0].subject_id] = "no_dlt"
    load_escalation_demo(lambda _line: None, password=PASSWORD)
    assert list(Decision.objects.values_list("choice", "status")) == [("proceed", "effective")]
    trial.dose(people[1], clock.today())
    clock.forward(7)
    trial.dose(people[2], clock.today())
    clock.forward(29)
    for person in people:
        dlts[person.subject_id] = "no_dlt"
    lines: list[str] = []
    started = time.monotonic()
    load_escalation_demo(lines.append, password=PASSWORD)
    assert time.monotonic() - started < 10
    assert interface.open_cohort(protocol_in_force()).dose_level == "DL2"  # 0/3: the 3+3 escalates
    counts = (Cohort.objects.count(), Packet.objects.count(), Decision.objects.count())
    assert counts == (2, 2, 2)
    load_escalation_demo(lines.append, password=PASSWORD)
    assert (Cohort.objects.count(), Packet.objects.count(), Decision.objects.count()) == counts
    assert "nothing new to review" in lines[-1]
