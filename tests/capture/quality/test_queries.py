"""The query workflow through the services: roles, each transition and refusal, edit checks opening,
auto-closing and re-opening their queries, and every write audited."""

from __future__ import annotations

import pytest

from celltrial.capture.quality import services
from celltrial.capture.quality.models import Query
from celltrial.capture.quality.permissions import QUERY_ANSWER, QUERY_CLOSE, QUERY_RAISE
from celltrial.capture.quality.rules.errors import QualityRefused
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from tests.capture.quality.conftest import act, as_role, write_record

pytestmark = pytest.mark.django_db


def _entries(obj):
    from celltrial.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(stream=obj.audit_stream()).order_by("seq"))


def _raise(team, child, **kw):
    target = services.Target(child, visit=kw.pop("visit", "SCR"), form=kw.pop("form", "vitals"),
                             field=kw.pop("field", "weight_kg"))
    return services.raise_query(act(team["monitor"], QUERY_RAISE, child.site), target,
                                text=kw.pop("text", "Weight looks low for age; please check the source."))


def test_manual_query_open_answer_close(team, child):
    q = _raise(team, child)
    assert (q.status, q.origin, q.raised_by, q.subject) == ("open", "manual", team["monitor"], child.screening_number)
    q = services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q,
                              answer="Checked against the clinic scale record: 18.2 kg is correct.")
    assert (q.status, q.answered_by) == ("answered", team["coordinator"])
    q = services.close_query(act(team["data_manager"], QUERY_CLOSE, child.site), q, note="Confirmed by source.")
    assert (q.status, q.closed_by, q.auto_closed) == ("closed", team["data_manager"], False)
    actions = [(e.action, e.reason) for e in _entries(q)]
    assert [a for a, _r in actions] == ["create", "update", "update"]
    assert actions[1][1].startswith("Checked against")


def test_answer_sent_back_and_closed_query_reopened(team, child):
    q = _raise(team, child)
    q = services.answer_query(act(team["investigator"], QUERY_ANSWER, child.site), q, answer="Typo, corrected.")
    q = services.reopen_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="Not corrected in the form.")
    assert (q.status, q.reopened) == ("open", 1)
    q = services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="Now corrected.")
    q = services.reopen_query(act(team["data_manager"], QUERY_CLOSE, child.site), q, note="Source disagrees again.")
    assert (q.status, q.reopened, q.closed_at) == ("open", 2, None)


@pytest.mark.parametrize("role", ["coordinator", "investigator", "rater", "auditor"])
def test_only_reviewers_raise(team, child, role):
    actor = as_role(team[role], child.site)
    with pytest.raises(AccessDenied):
        services.raise_query(actor, services.Target(child, "SCR", "vitals", field="sbp"), text="?")


@pytest.mark.parametrize("role", ["monitor", "data_manager", "rater"])
def test_only_the_site_team_answers(team, child, role):
    q = _raise(team, child)
    with pytest.raises(AccessDenied):
        services.answer_query(as_role(team[role], child.site), q, answer="x")


@pytest.mark.parametrize("role", ["coordinator", "investigator"])
def test_the_site_team_does_not_close(team, child, role):
    q = _raise(team, child)
    with pytest.raises(AccessDenied):
        services.close_query(as_role(team[role], child.site), q, note="done")


def test_refused_transitions(team, child):
    q = _raise(team, child)
    with pytest.raises(QualityRefused):
        services.reopen_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="already open")
    q = services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="Withdrawn.")
    with pytest.raises(QualityRefused):
        services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="late")
    with pytest.raises(QualityRefused):
        services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), q, note="twice")


def test_bad_input_names_the_field(team, child):
    with pytest.raises(ValidationFailed) as exc:
        services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                             services.Target(child, "SCR", "vitals", field="no_such_field"), text="?")
    assert "field" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                             services.Target(child, "Q9", "nosuch", field="x"), text="?")
    assert {"visit", "form"} <= set(exc.value.errors)
    with pytest.raises(ValidationFailed) as exc:
        _raise(team, child, text="   ")
    assert "text" in exc.value.errors
    q = _raise(team, child)
    with pytest.raises(ValidationFailed) as exc:
        services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="x" * 1001)
    assert "answer" in exc.value.errors


def test_stale_version_is_a_conflict(team, child):
    q = _raise(team, child)
    stale = q.version
    services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="First answer.")
    with pytest.raises(ConflictError):
        services.close_query(act(team["monitor"], QUERY_CLOSE, child.site), Query.objects.get(pk=q.pk),
                             note="closing what I saw", expected_version=stale)


def test_a_query_on_another_rooms_record(team, child):
    target = services.Target(child, visit="D7", form="", field="grade", target="safety.adverseevent",
                             target_pk="12")
    q = services.raise_query(act(team["data_manager"], QUERY_RAISE, child.site), target,
                             text="Grade 3 fever but no action taken recorded.")
    assert (q.target, q.target_pk, q.field) == ("safety.adverseevent", "12", "grade")
    with pytest.raises(ValidationFailed):
        services.raise_query(act(team["data_manager"], QUERY_RAISE, child.site),
                             services.Target(child, field="grade", target="safety.adverseevent"), text="?")


def test_another_sites_reviewer_is_refused(team, child, make_user, other_site):
    elsewhere = make_user("monitor_sh", "monitor", at=other_site)
    with pytest.raises(AccessDenied):
        services.raise_query(as_role(elsewhere, child.site),
                             services.Target(child, "SCR", "vitals", field="sbp"), text="?")


# --- edit checks --------------------------------------------------------------------------------------------


def _system_queries(child, check):
    return list(Query.objects.filter(participant_pk=child.pk, check_id=check).order_by("id"))


def test_a_failing_check_opens_a_query_and_a_passing_save_closes_it(child):
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "110", "weight_kg": "20.0"})
    (q,) = _system_queries(child, "EC_BP")
    assert (q.status, q.origin, q.field, q.visit) == ("open", "system", "dbp", "SCR")
    assert q.text_zh == "舒张压不低于收缩压。" and q.raised_by is None
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60", "weight_kg": "20.0"})
    (q,) = _system_queries(child, "EC_BP")
    assert (q.status, q.auto_closed) == ("closed", True)
    assert q.note == services.AUTO_CLOSE_NOTE
    last = _entries(q)[-1]
    assert (last.role, last.username, last.changes["status"]) == ("system", "edit checks", ["open", "closed"])


def test_an_auto_closed_query_reopens_when_the_check_fails_again(child):
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "110"})
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60"})
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "120"})
    (q,) = _system_queries(child, "EC_BP")
    assert (q.status, q.reopened) == ("open", 1)


def test_a_query_a_person_closed_is_not_raised_again(team, child):
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "110"})
    (q,) = _system_queries(child, "EC_BP")
    services.close_query(act(team["data_manager"], QUERY_CLOSE, child.site), q,
                         note="Confirmed on the monitor printout.")
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "111"})
    (q,) = _system_queries(child, "EC_BP")
    assert q.status == "closed" and not q.auto_closed


def test_cross_visit_check_runs_when_either_visit_is_saved(child):
    write_record(child, "D7", "vitals", {"weight_kg": "20.0"})
    assert _system_queries(child, "EC_WEIGHT_DROP") == []  # no baseline yet: blank, not discrepant
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})  # saving baseline re-checks D7
    (q,) = _system_queries(child, "EC_WEIGHT_DROP")
    assert (q.visit, q.field, q.status) == ("D7", "weight_kg", "open")
    write_record(child, "D7", "vitals", {"weight_kg": "23.0"})  # 23 >= 0.9 × 25 = 22.5
    assert _system_queries(child, "EC_WEIGHT_DROP")[0].status == "closed"


def test_a_check_limited_to_visits_does_not_run_elsewhere(child):
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    write_record(child, "W12", "vitals", {"weight_kg": "15.0"})
    assert _system_queries(child, "EC_WEIGHT_DROP") == []


def test_batch_run_opens_and_closes_like_saves(child, team):
    from celltrial.audit.operations import Update
    from celltrial.capture.models import FormRecord
    from celltrial.core.actor import Actor

    record = write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60"})
    # A change that bypassed the gate (an import, say): the batch run finds it.
    Update("enter_form", FormRecord, permission="capture.form.enter", fields=("values",))(
        Actor.system("import"), record, {"values": {"sbp": "100", "dbp": "130"}}, expected_version=record.version,
        reason="bulk import")
    assert _system_queries(child, "EC_BP") == []
    with pytest.raises(AccessDenied):
        services.run_all_checks(as_role(team["monitor"], child.site), sites=[child.site.code])
    run = services.run_all_checks(services.SYSTEM)
    assert run.opened == 1 and run.evaluated >= 1
    again = services.run_all_checks(services.SYSTEM)
    assert again.opened == 0 and len(_system_queries(child, "EC_BP")) == 1


def test_counts(team, child):
    _raise(team, child)
    q = _raise(team, child, field="sbp")
    services.answer_query(act(team["coordinator"], QUERY_ANSWER, child.site), q, answer="ok")
    assert services.counts(child.pk) == {"open": 1, "answered": 1, "closed": 0}
    assert services.counts(child.pk, visit="SCR", form="vitals")["open"] == 1
    assert services.counts(child.pk, visit="BL")["open"] == 0


def test_batch_run_raises_nothing_on_locked_data(child, team, make_user):
    from celltrial.accounts import permissions
    from celltrial.audit.operations import Update
    from celltrial.capture.models import FormRecord
    from celltrial.core.actor import Actor
    from tests.conftest import TRIAL_WIDE

    record = write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "60"})
    Update("enter_form", FormRecord, permission="capture.form.enter", fields=("values",))(
        Actor.system("import"), record, {"values": {"sbp": "100", "dbp": "130"}}, expected_version=record.version,
        reason="bulk import")
    lead = make_user("lead_dm2", "data_manager", at=TRIAL_WIDE)
    services.place_hold(permissions.actor_for(lead, "quality.lock.manage", ""), services.HoldScope("database"),
                        kind="lock", reason="final lock")
    assert services.run_all_checks(services.SYSTEM).opened == 0
    assert _system_queries(child, "EC_BP") == []
