"""Entering forms: consent gating, draft and complete, reason for change after first completion, the
conflict of a stale save, repeating forms, the dictionary version, and the audit entry of each save."""

from __future__ import annotations

import pytest

from celltrial.audit.models import AuditEntry
from celltrial.capture import interface, services
from celltrial.capture.models import FormRecord
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from tests.participants import helpers as h

VITALS = {"vs_date": "", "weight_kg": "25.0", "height_cm": "120.0", "temp_c": "36.6", "hr": "90", "rr": "20",
          "sbp": "100", "dbp": "65", "vs_abnormal": "0"}


def _vitals(**changes):
    from django.utils import timezone

    return {**VITALS, "vs_date": timezone.localdate().isoformat(), **changes}


def test_a_draft_keeps_what_is_missing_and_completion_requires_it(enrolled, crc):
    draft = services.save_form(crc, enrolled, visit="BL", form="vitals", values={"weight_kg": "24.0"}, complete=False)
    assert draft.status == "draft" and draft.completed_at is None and draft.values["weight_kg"] == "24.0"
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values={"weight_kg": "24.0"})
    assert "hr" in refused.value.errors and "required" in " ".join(refused.value.errors["hr"])
    done = services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert done.status == "complete" and done.completed_by == "crc" and done.version == 2


def test_the_dictionary_version_in_force_is_stored(enrolled, crc):
    from celltrial.study.interface import protocol_version_in_force

    saved = services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert saved.dictionary_version == protocol_version_in_force()[0]


def test_messages_name_the_field_the_range_and_the_unit(enrolled, crc):
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="250"))
    assert refused.value.errors["hr"] == ["Heart rate: enter a value from 40 to 200 beats/min."]


def test_messages_in_chinese(enrolled, crc):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="250"))
    text = refused.value.errors["hr"][0]
    assert text.startswith("心率") and "40" in text and "200" in text and "beats/min" in text


def test_a_change_after_completion_needs_a_reason_and_is_audited_with_it(enrolled, crc):
    first = services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="95"),
                           expected_version=first.version)
    assert "reason" in refused.value.errors
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="95"),
                       expected_version=first.version, reason="transcription error")
    entry = AuditEntry.objects.filter(object_type="capture.formrecord", object_id=str(first.pk),
                                      action="update").get()
    assert entry.reason == "transcription error"
    assert entry.changes["values"][0]["hr"] == "90" and entry.changes["values"][1]["hr"] == "95"


def test_a_draft_edit_before_completion_needs_no_reason(enrolled, crc):
    services.save_form(crc, enrolled, visit="BL", form="vitals", values={"weight_kg": "24.0"}, complete=False)
    again = services.save_form(crc, enrolled, visit="BL", form="vitals", values={"weight_kg": "24.5"},
                               complete=False)
    assert again.values["weight_kg"] == "24.5"


def test_a_stale_save_is_a_conflict_with_both_versions(enrolled, crc):
    first = services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="91"),
                       expected_version=first.version, reason="recount")
    with pytest.raises(ConflictError) as conflict:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="99"),
                           expected_version=first.version, reason="from an old page")
    assert conflict.value.current_values["values"]["hr"] == "91"
    assert conflict.value.attempted_values["values"]["hr"] == "99"
    assert FormRecord.objects.get(pk=first.pk).values["hr"] == "91"


def test_calc_is_evaluated_again_on_the_server(enrolled, crc):
    saved = services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    # round(25 / 1.2², 1): what the dictionary's calc says, not what a page sent.
    assert saved.values["bmi"] == str(round(25.0 / 1.2 ** 2, 1))
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(bmi="99"))
    assert "bmi" in refused.value.errors


def test_branching_clears_a_hidden_answer(enrolled, crc):
    saved = services.save_form(crc, enrolled, visit="BL", form="vitals",
                               values=_vitals(vs_abnormal="0", vs_abn_desc="left over from before"))
    assert saved.values["vs_abn_desc"] == ""
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(vs_abnormal="1"),
                           expected_version=saved.version, reason="abnormal after all")
    assert "vs_abn_desc" in refused.value.errors


def test_repeating_forms_take_instances(enrolled, crc):
    med = {"cm_name": "melatonin", "cm_indication": "sleep", "cm_route": "1", "cm_start": "2025-01-01",
           "cm_ongoing": "1", "cm_psychotropic": "0"}
    from celltrial.study.interface import protocol_version_in_force

    route = protocol_version_in_force()[1].form("con_meds").field("cm_route")
    med["cm_route"] = route.choices[0].code
    one = services.save_form(crc, enrolled, visit="BL", form="con_meds", values=med, repeat=1)
    two = services.save_form(crc, enrolled, visit="BL", form="con_meds", values={**med, "cm_name": "risperidone"},
                             repeat=2)
    assert (one.repeat, two.repeat) == (1, 2)
    with pytest.raises(ValidationFailed):
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(), repeat=2)


def test_a_form_not_at_the_visit_and_an_unknown_visit_are_refused(enrolled, crc):
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="cars2", values={})
    assert "form" in refused.value.errors
    with pytest.raises(ValidationFailed):
        services.save_form(crc, enrolled, visit="W99", form="vitals", values={})


def test_entry_is_refused_without_consent(team, site, crc):
    child = h.screen(team["coordinator"], site)
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, child, visit="SCR", form="vitals", values=_vitals())
    assert "consent" in str(refused.value)


def test_a_role_without_the_permission_is_refused(enrolled, team, site):
    from celltrial.accounts import permissions

    monitor = permissions.actor_for(team["monitor"], "capture.view", site.code)
    with pytest.raises(AccessDenied):
        services.save_form(monitor, enrolled, visit="BL", form="vitals", values=_vitals())


def test_the_interface_reads_what_was_saved(enrolled, crc):
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert interface.form_values(enrolled, "BL", "vitals")["weight_kg"] == "25.0"
    assert interface.form_values(enrolled, "D28", "vitals") is None
    assert ("BL", "vitals") in {(r.visit, r.form) for r in interface.form_records(enrolled)}


def test_the_quality_gate_is_asked_before_and_told_after(enrolled, crc, monkeypatch):
    from celltrial.capture.quality import gate

    seen = []
    monkeypatch.setattr(gate, "after_save", lambda actor, record, old, new, **seen_by_save: seen.append((record.form, dict(new))))
    monkeypatch.setattr(gate, "entry_lock", lambda participant, visit, form: "Locked by the data manager."
                        if form == "vitals" else None)
    with pytest.raises(ValidationFailed) as refused:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert "Locked" in str(refused.value) and not seen
    monkeypatch.setattr(gate, "entry_lock", lambda participant, visit, form: None)
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert seen and seen[0][0] == "vitals" and seen[0][1]["hr"] == "90"


def test_rooms_that_subscribe_are_told_of_each_save(enrolled, crc, monkeypatch):
    from celltrial.capture import interface as capture_interface

    told = []
    monkeypatch.setattr(capture_interface, "_SAVED", [])
    capture_interface.subscribe_saved(lambda actor, participant, visit, form: told.append((participant.pk, visit, form)))
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert told == [(enrolled.pk, "BL", "vitals")]
