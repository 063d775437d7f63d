"""DLT adjudication: proposals from the AE and the lab series, the investigator's signed decision, the medical
monitor's signed confirmation, and the status published through ``safety.interface``.

Default protocol ``dlt``: window_days 28 from Day 0; DLT-LAB-G3-7D "Grade ≥3 laboratory abnormality (ALT/AST …)
lasting more than 7 days"; an event "assessed as at least possibly related".
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.safety import interface, services
from celltrial.safety.permissions import AE_ASSESS, DLT_CONFIRM, DLT_DECIDE
from tests.conftest import PASSWORD
from tests.safety.db.conftest import actor

pytestmark = pytest.mark.django_db


def _alt_dlt(people, child, fake_labs):
    day0 = child.dosed_on
    start = dt.datetime.combine(day0 + dt.timedelta(days=1), dt.time(8), tzinfo=dt.UTC)
    # ULN 40 U/L: > 200 U/L is grade 3 (> 5.0 × ULN). Grade 3 documented from day 2 to day 11 after dosing: 9 days.
    for day, value, grade in [(0, 150, 2), (1, 260, 3), (4, 300, 3), (10, 240, 3), (12, 110, 2)]:
        fake_labs.add(child, "ALT", start + dt.timedelta(days=day), value, grade)
    return services.report_ae(actor(people["investigator"], AE_ASSESS, child.site.code), child,
                              verbatim="ALT increased", onset=(day0 + dt.timedelta(days=2)).isoformat(),
                              ctcae_term="alt", grade=3, causality_investigator="possibly")


def test_a_9_day_grade_3_alt_is_proposed_decided_and_confirmed_as_a_dlt(people, dosed, fake_labs, rsi):
    ae = _alt_dlt(people, dosed, fake_labs)
    state = services.dlt_state(dosed)
    adjudication = state.adjudication
    assert state.status == "pending" and not state.confirmed
    assert adjudication.window_end == dosed.dosed_on + dt.timedelta(days=28)
    proposed = {(p["ae"], p["criterion"]) for p in adjudication.proposals if p["standing"] == "proposed"}
    assert proposed == {(ae.number, "DLT-LAB-G3-7D"), (ae.number, "DLT-NONHEME-G3")}

    inv = actor(people["investigator"], DLT_DECIDE, dosed.site.code)
    with pytest.raises(ValidationFailed, match="names the criteria"):
        services.decide_dlt(inv, adjudication, decision="dlt", criteria_met=[], dlt_aes=[ae.number], comment="",
                            password=PASSWORD)
    decided = services.decide_dlt(inv, adjudication, decision="dlt", criteria_met=["DLT-LAB-G3-7D"],
                                  dlt_aes=[ae.number], comment="ALT ≥ grade 3 for 9 days", password=PASSWORD)
    assert interface.dlt_status(dosed).status == "pending"  # the medical monitor has not confirmed
    with pytest.raises(AccessDenied):
        services.confirm_dlt(actor(people["investigator"], DLT_DECIDE, dosed.site.code), decided, password=PASSWORD)
    services.confirm_dlt(actor(people["mm"], DLT_CONFIRM), decided, password=PASSWORD, comment="agree")
    status = interface.dlt_status(dosed)
    assert (status.status, status.confirmed, status.window_end) == ("dlt", True, dosed.dosed_on + dt.timedelta(days=28))
    assert "DLT-LAB-G3-7D" in status.summary
    (summary,) = interface.adverse_events([dosed])
    assert summary.dlt and summary.grade == 3 and summary.related and summary.subject == dosed.subject_id


def test_no_dlt_only_after_the_window_and_a_later_change_voids_the_confirmation(people, make_user, site, fake_labs, rsi):
    from tests.safety.db.conftest import make_dosed

    child = make_dosed(people, site, days_ago=30)  # window ended 2 days ago
    adjudication = services.refresh_dlt(child)
    inv = actor(people["investigator"], DLT_DECIDE, site.code)
    decided = services.decide_dlt(inv, adjudication, decision="no_dlt", criteria_met=[], dlt_aes=[], comment="",
                                  password=PASSWORD)
    services.confirm_dlt(actor(people["mm"], DLT_CONFIRM), decided, password=PASSWORD)
    assert interface.dlt_status(child).status == "no_dlt"
    # A new decision (not evaluable) voids both signatures: pending again until both confirm anew.
    decided.refresh_from_db()
    services.decide_dlt(inv, decided, decision="not_evaluable", criteria_met=[], dlt_aes=[],
                        comment="lost to follow-up before Day 28 visit", password=PASSWORD)
    assert interface.dlt_status(child).status == "pending"


def test_no_dlt_is_refused_while_the_window_is_open(people, dosed, rsi):
    adjudication = services.refresh_dlt(dosed)
    with pytest.raises(ValidationFailed, match="after the window ends"):
        services.decide_dlt(actor(people["investigator"], DLT_DECIDE, dosed.site.code), adjudication,
                            decision="no_dlt", criteria_met=[], dlt_aes=[], comment="", password=PASSWORD,
                            today=timezone.localdate())


def test_an_undosed_participant_is_pending_without_a_window(people, site, protocol):
    from tests.participants import helpers as h

    child = h.screen(people["coordinator"], site)
    assert interface.dlt_status(child) == interface.DltStatus("pending", None, False, "not dosed")
