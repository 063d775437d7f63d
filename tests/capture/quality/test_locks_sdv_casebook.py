"""Freeze and lock at each level, unlock with a reason, the gate's refusals naming the level; SDV marks
and "changed since SDV"; the investigator's casebook signature and its voiding."""

from __future__ import annotations

import pytest

from celltrial.capture.quality import gate, services
from celltrial.capture.quality.models import Lock, SdvMark
from celltrial.capture.quality.permissions import (
    CASEBOOK_SIGN,
    LOCK_MANAGE,
    QUERY_ANSWER,
    QUERY_CLOSE,
    QUERY_RAISE,
    SDV_MARK,
)
from celltrial.capture.quality.rules.errors import QualityRefused
from celltrial.core.errors import AccessDenied, ValidationFailed
from tests.capture.quality.conftest import act, as_role, write_record
from tests.conftest import PASSWORD, TRIAL_WIDE

pytestmark = pytest.mark.django_db


def _hold(team, child, level, kind, visit="", form="", reason="Visit data cleaned for the SRC meeting."):
    return services.place_hold(act(team["data_manager"], LOCK_MANAGE, child.site),
                               services.HoldScope(level, child, visit, form), kind=kind, reason=reason)


@pytest.mark.parametrize(("level", "visit", "form", "word"), [
    ("form", "BL", "vitals", "form"), ("visit", "BL", "", "visit"), ("participant", "", "", "participant")])
def test_each_level_refuses_entry_and_names_itself(team, child, level, visit, form, word):
    assert gate.entry_lock(child, "BL", "vitals") is None
    _hold(team, child, level, "freeze", visit, form)
    message = gate.entry_lock(child, "BL", "vitals")
    assert message is not None and f"Frozen at the {word} level" in message
    assert gate.entry_lock(child, "W12", "abc") is None if level != "participant" else gate.entry_lock(
        child, "W12", "abc") is not None


def test_freeze_then_lock_then_unlock_with_a_reason(team, child):
    frozen = _hold(team, child, "visit", "freeze", "BL")
    locked = _hold(team, child, "visit", "lock", "BL")
    assert locked.pk == frozen.pk and locked.kind == "lock"
    assert "Locked at the visit level" in gate.entry_lock(child, "BL", "abc")
    with pytest.raises(QualityRefused):
        _hold(team, child, "visit", "freeze", "BL")  # unlock first
    with pytest.raises(QualityRefused):
        _hold(team, child, "visit", "lock", "BL")  # already locked
    with pytest.raises(ValidationFailed):
        services.release_hold(act(team["data_manager"], LOCK_MANAGE, child.site), locked, reason=" ")
    released = services.release_hold(act(team["data_manager"], LOCK_MANAGE, child.site), locked,
                                     reason="Late lab result to enter (site note 14).")
    assert not released.active and released.release_reason.startswith("Late lab")
    assert gate.entry_lock(child, "BL", "abc") is None
    with pytest.raises(QualityRefused):
        services.release_hold(act(team["data_manager"], LOCK_MANAGE, child.site), released, reason="again")
    from celltrial.audit.models import AuditEntry

    reasons = list(AuditEntry.objects.filter(stream=released.audit_stream()).order_by("seq")
                   .values_list("reason", flat=True))
    assert reasons[-1] == "Late lab result to enter (site note 14)." and len(reasons) == 3


def test_database_lock_is_trial_wide_only(team, child, make_user):
    with pytest.raises(AccessDenied):
        services.place_hold(act(team["data_manager"], LOCK_MANAGE, child.site), services.HoldScope("database"),
                            kind="freeze", reason="interim analysis")
    lead = make_user("lead_dm", "data_manager", at=TRIAL_WIDE)
    from celltrial.accounts import permissions

    hold = services.place_hold(permissions.actor_for(lead, LOCK_MANAGE, ""), services.HoldScope("database"),
                               kind="lock", reason="Database lock for the final analysis.")
    assert hold.site is None and hold.audit_site_code() == ""
    assert "Locked at the database level" in gate.entry_lock(child, "W52", "abc")


@pytest.mark.parametrize("role", ["monitor", "coordinator", "investigator"])
def test_only_data_managers_freeze(team, child, role):
    with pytest.raises(AccessDenied):
        services.place_hold(as_role(team[role], child.site), services.HoldScope("participant", child),
                            kind="freeze", reason="x")


def test_lock_refused_while_queries_outstanding_freeze_allowed(team, child):
    q = services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                             services.Target(child, "BL", "vitals", field="sbp"), text="Please check.")
    with pytest.raises(QualityRefused) as exc:
        _hold(team, child, "visit", "lock", "BL")
    assert exc.value.code == "queries_outstanding"
    _hold(team, child, "visit", "freeze", "BL")
    # Under a freeze the query workflow goes on; under a lock it does not.
    q = services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="Corrected at source.")
    services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="ok")
    _hold(team, child, "visit", "lock", "BL")
    with pytest.raises(QualityRefused):
        services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                             services.Target(child, "BL", "vitals", field="sbp"), text="One more.")


def test_bad_scope_is_refused(team, child):
    with pytest.raises(ValidationFailed):
        _hold(team, child, "form", "freeze", "BL", "")
    with pytest.raises(ValidationFailed):
        _hold(team, child, "everything", "freeze")
    with pytest.raises(ValidationFailed):
        _hold(team, child, "visit", "seal", "BL")


# --- SDV --------------------------------------------------------------------------------------------------


def test_sdv_then_a_change_flags_the_fields(team, child):
    write_record(child, "BL", "vitals", {"weight_kg": "25.0", "sbp": "100", "dbp": "60"})
    mark = services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    assert (mark.verified_by, mark.changed_since) == (team["monitor"], False)
    with pytest.raises(QualityRefused):
        services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    write_record(child, "BL", "vitals", {"weight_kg": "25.5", "sbp": "100", "dbp": "62"})
    mark = SdvMark.objects.get(pk=mark.pk)
    assert mark.changed_fields == ["dbp", "weight_kg"] and mark.changed_at is not None
    mark = services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    assert mark.changed_fields == [] and not mark.changed_since
    from celltrial.audit.models import AuditEntry

    assert [e.action for e in AuditEntry.objects.filter(stream=mark.audit_stream()).order_by("seq")] == [
        "create", "update", "update"]


def test_a_save_that_changes_nothing_flags_nothing(team, child):
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    mark = services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    gate.after_save(services.SYSTEM, child.capture_forms.get(visit="BL"), {"weight_kg": "25.0"}, {"weight_kg": "25.0"})
    assert not SdvMark.objects.get(pk=mark.pk).changed_since


@pytest.mark.parametrize("role", ["data_manager", "coordinator"])
def test_only_monitors_sdv(team, child, role):
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    with pytest.raises(AccessDenied):
        services.mark_sdv(as_role(team[role], child.site), child, visit="BL", form="vitals")


def test_sdv_of_a_form_never_entered_or_locked_is_refused(team, child):
    with pytest.raises(QualityRefused):
        services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    _hold(team, child, "form", "lock", "BL", "vitals")
    with pytest.raises(QualityRefused):
        services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")


# --- the casebook ---------------------------------------------------------------------------------------


def test_casebook_signature_and_its_voiding(team, child):
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    signature = services.sign_casebook(act(team["investigator"], CASEBOOK_SIGN, child.site), child,
                                       password=PASSWORD, meaning="approved")
    state = services.casebook_state(child.pk)
    assert [(s.pk, current) for s, current in state["signatures"]] == [(signature.pk, True)]
    assert signature.content_snapshot["records"][0][:4] == ["BL", "vitals", 1, 1]
    write_record(child, "BL", "vitals", {"weight_kg": "25.4"})
    state = services.casebook_state(child.pk)
    assert [current for _s, current in state["signatures"]] == [False]
    signature.refresh_from_db()
    assert signature.voided_at is not None


def test_casebook_refusals(team, child):
    from celltrial.accounts.signatures import SignatureRefused

    with pytest.raises(AccessDenied):
        services.sign_casebook(as_role(team["coordinator"], child.site), child, password=PASSWORD)
    with pytest.raises(SignatureRefused):
        services.sign_casebook(act(team["investigator"], CASEBOOK_SIGN, child.site), child, password="wrong")
    with pytest.raises(SignatureRefused):
        services.sign_casebook(act(team["investigator"], CASEBOOK_SIGN, child.site), child, password=PASSWORD,
                               meaning="released")
    services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                         services.Target(child, "BL", "vitals", field="sbp"), text="?")
    with pytest.raises(QualityRefused):
        services.sign_casebook(act(team["investigator"], CASEBOOK_SIGN, child.site), child, password=PASSWORD)
    assert not Lock.objects.exists()


def test_every_quality_write_reconciles_with_the_trail(team, child):
    """`audit verify` replays every record of this app from its entries (no write bypassed them)."""
    from celltrial.audit.verify import verify

    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "120", "weight_kg": "20.0"})  # system query
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60", "weight_kg": "20.0"})  # auto-closed
    q = services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                             services.Target(child, "SCR", "vitals", field="sbp"), text="Check.")
    q = services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="ok")
    services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="ok")
    services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="SCR", form="vitals")
    write_record(child, "SCR", "vitals", {"sbp": "101", "dbp": "60", "weight_kg": "20.0"})  # SDV flag
    hold = _hold(team, child, "visit", "freeze", "SCR")
    hold = _hold(team, child, "visit", "lock", "SCR")
    services.release_hold(act(team["data_manager"], LOCK_MANAGE, child.site), hold, reason="correction")
    services.sign_casebook(act(team["investigator"], CASEBOOK_SIGN, child.site), child, password=PASSWORD)
    write_record(child, "SCR", "vitals", {"sbp": "102", "dbp": "60", "weight_kg": "20.0"})  # voids it
    result = verify()
    assert result.ok, [str(p) for p in result.problems]
