"""Enrolment, the visit calendar and withdrawal scopes (issue #8 §4–§6).

Declared rules: the subject ID is ``SSS-NN-NNNN-C`` (identifiers/formats.py, MOD 37-2 check
character); the child joins the open cohort of the escalation interface (until the escalation issue: the
start dose DL1, "Cohort 1: 0.5 × 10⁶ cells/kg"); visits are dated from Day 0 with the protocol's windows
(D7 ±2, D14 ±3, W24 = D168 ±7); withdrawal "stop product" keeps visits, "stop visits" cancels them,
"stop all data collection" refuses every entry.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from celltrial.core.errors import ValidationFailed
from celltrial.identifiers.formats import IdentifierKind, parse_identifier
from celltrial.participants import queries, services, state
from celltrial.participants.permissions import DOSING_RECORD, ENROL, SCHEDULE, WITHDRAW
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def eligible(team, site, docs):
    child = h.screen(team["coordinator"], site, screened_on=timezone.localdate() - dt.timedelta(days=3))
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    h.enter(team["coordinator"], child, h.eligible_values())
    services.sign_eligibility(h.actor(team["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    return child


def _enrol(team, child, day0=None):
    return services.enrol(h.actor(team["coordinator"], ENROL, child.site), child, day0=day0)


def test_an_eligible_consented_child_becomes_a_subject_in_the_open_cohort(team, eligible):
    day0 = timezone.localdate() + dt.timedelta(days=10)
    subject = _enrol(team, eligible, day0)
    assert subject.status == "enrolled" and subject.cohort == 1 and subject.dose_level == "DL1"
    parsed = parse_identifier(subject.subject_id, IdentifierKind.SUBJECT)
    assert (parsed.study, parsed.site, parsed.sequence) == ("ASD", 1, 1)
    visits = {v.code: v for v in subject.visits.all()}
    # The schedule of activities: SCR, BL, D0, D1, D3, D7, D14, D28, W12, W24, W52, M18, M24.
    assert len(visits) == 13 and visits["SCR"].status == "done" and visits["SCR"].actual_date == eligible.screened_on
    assert (visits["D7"].target_date, visits["D7"].earliest, visits["D7"].latest) == (
        day0 + dt.timedelta(days=7), day0 + dt.timedelta(days=5), day0 + dt.timedelta(days=9))
    assert (visits["W24"].earliest, visits["W24"].latest) == (day0 + dt.timedelta(days=161), day0 + dt.timedelta(days=175))


def test_enrolment_with_no_open_cohort_is_refused_with_the_reason(team, eligible, monkeypatch):
    monkeypatch.setattr("celltrial.participants.services.open_cohort", lambda protocol: None)
    with pytest.raises(ValidationFailed, match="No cohort is open"):
        _enrol(team, eligible)
    assert services.enrolment_refusal(eligible) == "No cohort is open for enrolment."


def test_enrolment_is_refused_without_consent_or_eligibility(team, site, docs):
    child = h.screen(team["coordinator"], site)
    assert "eligibility" in services.enrolment_refusal(child)
    with pytest.raises(ValidationFailed):
        _enrol(team, child)


def test_moving_the_dosing_day_reschedules_the_visits_not_yet_done(team, eligible):
    day0 = timezone.localdate() + dt.timedelta(days=10)
    subject = _enrol(team, eligible, day0)
    baseline = subject.visits.get(code="BL")
    services.record_visit(h.actor(team["coordinator"], SCHEDULE, subject.site), baseline,
                          actual_date=timezone.localdate(), expected_version=baseline.version)
    moved = services.set_dosing_day(h.actor(team["coordinator"], SCHEDULE, subject.site), subject,
                                    day0=day0 + dt.timedelta(days=4), expected_version=subject.version,
                                    reason="product shipment delayed")
    visits = {v.code: v for v in moved.visits.all()}
    assert visits["D7"].target_date == day0 + dt.timedelta(days=11)
    assert visits["BL"].target_date == day0 - dt.timedelta(days=1)  # done: its dates stay
    assert visits["BL"].actual_date == timezone.localdate()


def test_a_stale_dosing_day_edit_is_a_conflict(team, eligible):
    from celltrial.core.errors import ConflictError

    subject = _enrol(team, eligible, timezone.localdate() + dt.timedelta(days=10))
    services.set_dosing_day(h.actor(team["coordinator"], SCHEDULE, subject.site), subject,
                            day0=timezone.localdate() + dt.timedelta(days=12), expected_version=subject.version,
                            reason="first move")
    with pytest.raises(ConflictError) as conflict:
        services.set_dosing_day(h.actor(team["coordinator"], SCHEDULE, subject.site), subject,
                                day0=timezone.localdate() + dt.timedelta(days=14), expected_version=subject.version,
                                reason="second move from an old page")
    assert conflict.value.current_values["day0"] != conflict.value.attempted_values["day0"]


def test_dosing_sets_day0_and_flags_a_late_visit(team, eligible, make_user):
    pharmacist = make_user("ph", "pharmacist")
    subject = _enrol(team, eligible, timezone.localdate())
    dosed = services.record_dosing(h.actor(pharmacist, DOSING_RECORD, subject.site), subject,
                                   dosed_on=timezone.localdate() - dt.timedelta(days=2))
    d0 = dosed.visits.get(code="D0")
    assert d0.status == "done" and d0.actual_date == dosed.dosed_on == dosed.day0
    d1 = dosed.visits.get(code="D1")  # window ±0: a day late is out of window
    late = services.record_visit(h.actor(team["coordinator"], SCHEDULE, dosed.site), d1,
                                 actual_date=d1.target_date + dt.timedelta(days=1), expected_version=d1.version)
    from celltrial.participants.rules import windows

    assert windows.standing(late.earliest, late.latest, late.actual_date, timezone.localdate()) is windows.Standing.DONE_LATE
    due = queries.visits_due(team["coordinator"])
    assert [d.visit.code for d in due["overdue"]] == ["BL"]  # never recorded, its window closed


def test_withdrawal_stopping_the_product_keeps_the_visits(team, eligible, make_user):
    subject = _enrol(team, eligible, timezone.localdate() + dt.timedelta(days=5))
    services.withdraw(h.actor(team["investigator"], WITHDRAW, subject.site), subject, withdrawn_on=timezone.localdate(),
                      requested_by="guardian", scope="product", data_use_allowed=True, reason="family wishes no infusion")
    subject.refresh_from_db()
    assert subject.status == "enrolled"
    assert state.entry_refusal(subject, "D7") is None
    assert subject.visits.filter(status="cancelled").count() == 0
    with pytest.raises(ValidationFailed, match="withdrawn from the study product"):
        services.record_dosing(h.actor(make_user("ph", "pharmacist"), DOSING_RECORD, subject.site), subject,
                               dosed_on=timezone.localdate())


def test_withdrawal_stopping_visits_cancels_them_and_refuses_visit_data(team, eligible):
    subject = _enrol(team, eligible, timezone.localdate() + dt.timedelta(days=5))
    services.withdraw(h.actor(team["investigator"], WITHDRAW, subject.site), subject, withdrawn_on=timezone.localdate(),
                      requested_by="child", scope="visits", data_use_allowed=True, reason="child distressed by visits")
    subject.refresh_from_db()
    assert subject.status == "withdrawn"
    assert set(subject.visits.exclude(status="done").values_list("status", flat=True)) == {"cancelled"}
    assert state.entry_refusal(subject, "D7") == "withdrawn_visits"


def test_withdrawal_from_all_data_collection_refuses_every_entry_and_keeps_its_data_use_answer(team, eligible):
    services.withdraw(h.actor(team["investigator"], WITHDRAW, eligible.site), eligible, withdrawn_on=timezone.localdate(),
                      requested_by="guardian", scope="all", data_use_allowed=False, reason="consent withdrawn")
    eligible.refresh_from_db()
    assert eligible.status == "withdrawn"
    assert state.entry_refusal(eligible, "SCR") == "withdrawn_all"
    with pytest.raises(ValidationFailed, match="all data collection"):
        h.enter(team["coordinator"], eligible, {"vitals": h.eligible_values()["vitals"]})
    assert eligible.withdrawal.data_use_allowed is False
    from celltrial.participants.interface import data_use_allowed, entry_refusal

    assert data_use_allowed(eligible) is False and entry_refusal(eligible, "SCR") == "withdrawn_all"
    with pytest.raises(ValidationFailed, match="already"):
        services.withdraw(h.actor(team["investigator"], WITHDRAW, eligible.site), eligible,
                          withdrawn_on=timezone.localdate(), requested_by="guardian", scope="all",
                          data_use_allowed=False, reason="again")


def test_a_screen_failure_is_re_screened_as_a_new_linked_attempt(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    h.enter(team["coordinator"], child, h.eligible_values(weight="16.0"))
    services.sign_eligibility(h.actor(team["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    child.refresh_from_db()
    again = services.rescreen(h.actor(team["coordinator"], "participant.screen", site), child,
                              screened_on=timezone.localdate(), reason="weight now above 17 kg")
    assert again.rescreen_of_id == child.pk and again.identity_id == child.identity_id
    assert again.screening_number != child.screening_number
    assert parse_identifier(again.screening_number, IdentifierKind.SCREENING).sequence == 2
    assert queries.funnel(team["coordinator"]).overall.screened == 1  # one child, counted once
    with pytest.raises(ValidationFailed, match="already"):
        services.rescreen(h.actor(team["coordinator"], "participant.screen", site), child,
                          screened_on=timezone.localdate(), reason="twice")
    # The same child cannot be screened again as someone new: the ID number is in the vault already.
    with pytest.raises(ValidationFailed) as refused:
        h.screen(team["coordinator"], site)
    assert "id_number" in refused.value.errors
