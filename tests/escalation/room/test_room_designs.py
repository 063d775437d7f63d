"""The recommendation on live data for protocols that choose BOIN or TITE-BOIN (issue 12 §4-§5), against the
published rules.

- BOIN, target 0.30 (Liu S, Yuan Y. JRSS-C 2015;64:507-523; boundaries lambda_e = 0.236, lambda_d = 0.358, as
  ``BOIN::get.boundary(target = 0.3)`` prints): with 3 at the dose, escalate if DLTs <= 0, de-escalate if >= 2,
  otherwise stay.
- TITE-BOIN (Yuan Y, Lin R, Li D, Nie L, Warren KE. Clin Cancer Res 2018;24:4921-4930): accrual is suspended
  while more than 50 % of the participants at the current dose are pending; with no DLT observed the
  estimate is 0, below lambda_e, so it escalates. Enrolment continues while windows are pending.
"""

from __future__ import annotations

import pytest

from celltrial.escalation import interface, services
from celltrial.escalation.rules import CohortState
from celltrial.study.interface import protocol_in_force
from tests.escalation.room.test_room_sequence import _fill_cohort

pytestmark = pytest.mark.django_db

BOIN = {"design": "boin", "start_dose": "DL1", "target": 0.3, "cohort_size": 3, "max_n": 18}


def test_boin_stays_after_one_dlt_in_three_and_escalates_after_none(trial, src, clock, dlts, amend):
    amend(escalation=BOIN)
    _fill_cohort(trial, src, clock, dlts, "NTN")
    rec = services.recommendation()
    assert (rec["design_id"], rec["outcomes"], rec["choice"], rec["dose_level"]) == ("boin", "1NTN", "stay", "DL1")
    table = rec["decision_table"]
    column = table["n"].index(3)
    assert [row["cells"][column] for row in table["rows"][:4]] == ["E", "S", "D", "DU"]


def test_tite_boin_decides_with_windows_pending_and_suspends_above_half_pending(trial, src, clock, dlts, amend):
    amend(escalation={**BOIN, "design": "tite-boin"})
    people = [trial.enrol() for _ in range(3)]
    trial.dose(people[0], clock.today())
    clock.forward(14)
    dlts[people[0].subject_id] = "no_dlt"  # reviewed at the sentinel decision; its window is still open
    from tests.escalation.room.test_room_sequence import _decide

    _decide(trial, src[0], "sentinel", "proceed")
    dlts.pop(people[0].subject_id)
    trial.dose(people[1], clock.today())
    clock.forward(7)
    trial.dose(people[2], clock.today())  # Day 21 of the sentinel: all three pending
    assert services.cohort_view(protocol_in_force(), services.current_cohort()).state is CohortState.AWAITING_DECISION
    rec = services.recommendation()
    assert rec["time_to_event"] and rec["action"] == "suspend" and not rec["ready"]
    assert rec["per_dose"][0]["pending"] == 3
    clock.forward(23)  # the sentinel's window (Day 0-28) and the second's (Day 0-28 from Day 14) have closed
    dlts.update({people[0].subject_id: "no_dlt", people[1].subject_id: "no_dlt"})
    rec = services.recommendation()  # 1 of 3 pending: no longer more than half
    assert (rec["action"], rec["choice"], rec["dose_level"], rec["ready"]) == ("escalate", "escalate", "DL2", True)
    assert interface.open_cohort(protocol_in_force()) is None  # the cohort's places are taken; the SRC decides
