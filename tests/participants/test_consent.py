"""Consent and assent gate data entry (issue #8 §4; DESIGN.md "Participant" flow; peer-systems.md §4 item 3).

Declared rules (protocol.yaml ``participants``): one guardian's consent; the child's assent sought from
7 completed years, by a verbal, pictorial or written method, with a witness for verbal and pictorial
assent; a newer approved form version makes re-consent due at the next visit and refuses entry after
it; the child's dissent pauses procedures.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.participants import services, state
from celltrial.participants.permissions import (
    CONSENT_RECORD,
    DISSENT_RECORD,
    DISSENT_RESOLVE,
    ENROL,
    SCHEDULE,
)
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db

VITALS = h.eligible_values()["vitals"]


def _enter_vitals(team, child, visit="SCR", **changes):
    return h.enter(team["coordinator"], child, {"vitals": {**VITALS, **changes}}, visit=visit)


def test_entry_is_refused_before_valid_consent(team, site, docs):
    child = h.screen(team["coordinator"], site)  # 8 years old: assent is sought
    with pytest.raises(ValidationFailed, match="valid consent"):
        _enter_vitals(team, child)
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    services.record_consent(a, child, services.ConsentInput(
        kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
        password=PASSWORD)
    with pytest.raises(ValidationFailed, match="valid consent"):  # the child's assent is still missing
        _enter_vitals(team, child)
    services.record_consent(a, child, services.ConsentInput(
        kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="written"),
        password=PASSWORD)
    _enter_vitals(team, child)
    assert state.entry_refusal(child, "SCR") is None


def test_a_child_below_the_assent_age_enters_on_guardian_consent(team, site, docs):
    child = h.screen(team["coordinator"], site, dob=timezone.localdate() - dt.timedelta(days=6 * 365 + 30))
    services.record_consent(h.actor(team["investigator"], CONSENT_RECORD, site), child, services.ConsentInput(
        kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
        password=PASSWORD)
    consent = state.consent_state(child, state.participant_rules(state.protocol()[1]), timezone.localdate())
    assert consent.valid and consent.assent == "not_sought"
    _enter_vitals(team, child)


def test_a_minimally_verbal_child_assents_pictorially_with_a_witness(team, site, docs):
    child = h.screen(team["coordinator"], site)
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    services.record_consent(a, child, services.ConsentInput(
        kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
        password=PASSWORD)
    with pytest.raises(ValidationFailed) as refused:
        services.record_consent(a, child, services.ConsentInput(
            kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="pictorial"))
    assert "witness_name" in refused.value.errors
    services.record_consent(a, child, services.ConsentInput(
        kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="pictorial",
        witness_name="何静"), password=PASSWORD)
    assert state.entry_refusal(child, "SCR") is None


def test_assent_that_could_not_be_obtained_needs_its_reason(team, site, docs):
    child = h.screen(team["coordinator"], site)
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    with pytest.raises(ValidationFailed) as refused:
        services.record_consent(a, child, services.ConsentInput(
            kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="verbal",
            outcome="not_obtainable", witness_name="何静"))
    assert "not_obtainable_reason" in refused.value.errors
    h.consent(team["investigator"], child, docs, password=PASSWORD, assent_method="verbal", witness="何静",
              assent_outcome="not_obtainable")
    assert state.entry_refusal(child, "SCR") is None


def test_a_child_who_declines_does_not_take_part(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD, assent_outcome="declined")
    assert state.entry_refusal(child, "SCR") == "consent_missing"


def test_a_record_without_evidence_does_not_count_until_signed_or_scanned(team, site, docs):
    child = h.screen(team["coordinator"], site, dob=timezone.localdate() - dt.timedelta(days=6 * 365 + 30))
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    record = services.record_consent(a, child, services.ConsentInput(
        kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1))
    assert state.entry_refusal(child, "SCR") == "consent_missing"
    with pytest.raises(ValidationFailed, match="person who obtained"):  # only the obtainer signs
        services.sign_consent(h.actor(team["coordinator"], CONSENT_RECORD, site), record, password=PASSWORD)
    services.attach_scan(h.actor(team["coordinator"], CONSENT_RECORD, site), record, h.SCAN, reason="paper form")
    assert state.entry_refusal(child, "SCR") is None


def test_a_form_version_of_another_language_or_not_yet_valid_is_refused(team, site, docs):
    child = h.screen(team["coordinator"], site)
    english = h.add_documents(site, language="en")
    later = h.add_documents(site, version="9.0", valid_from=timezone.localdate() + dt.timedelta(days=30))
    a = h.actor(team["investigator"], CONSENT_RECORD, site)
    for document in (english["guardian"], later["guardian"], docs["assent"]):
        with pytest.raises(ValidationFailed) as refused:
            services.record_consent(a, child, services.ConsentInput(
                kind="guardian", document_id=document.pk, obtained_at=timezone.now(), guardian_slot=1))
        assert "document" in refused.value.errors


def _enrolled(team, site, docs, day0):
    child = h.screen(team["coordinator"], site, screened_on=day0 - dt.timedelta(days=10))
    h.consent(team["investigator"], child, docs, password=PASSWORD,
              obtained_at=timezone.now() - dt.timedelta(days=12))
    h.enter(team["coordinator"], child, h.eligible_values())
    services.sign_eligibility(h.actor(team["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    return services.enrol(h.actor(team["coordinator"], ENROL, site), child, day0=day0)


def test_a_newly_approved_version_makes_re_consent_due_at_the_next_visit(team, site):
    today = timezone.localdate()
    docs = h.add_documents(site, valid_from=today - dt.timedelta(days=60))
    child = _enrolled(team, site, docs, day0=today - dt.timedelta(days=2))  # D1 is past, D3 is next
    for code in ("BL", "D0", "D1"):
        visit = child.visits.get(code=code)
        services.record_visit(h.actor(team["coordinator"], SCHEDULE, site), visit, actual_date=visit.target_date,
                              expected_version=visit.version)
    assert state.entry_refusal(child, "D7") is None
    v2 = h.add_documents(site, version="2.0", valid_from=today)
    consent = state.consent_state(child, state.participant_rules(state.protocol()[1]), today)
    assert consent.valid and not consent.current
    assert sorted((d.kind, d.version, d.visit) for d in consent.due) == [("assent", "2.0", "D3"), ("guardian", "2.0", "D3")]
    assert state.entry_refusal(child, "D3") is None          # the visit at which it is due
    assert state.entry_refusal(child, "D7") == "reconsent_due"  # and after it: refused until given
    with pytest.raises(ValidationFailed, match="Re-consent"):
        visit = child.visits.get(code="D7")
        services.record_visit(h.actor(team["coordinator"], SCHEDULE, site), visit, actual_date=today,
                              expected_version=visit.version)
    h.consent(team["investigator"], child, v2, password=PASSWORD)
    assert state.entry_refusal(child, "D7") is None


def test_dissent_pauses_procedures_until_an_investigator_resolves_it(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    dissent = services.record_dissent(h.actor(team["rater"], DISSENT_RECORD, site), child,
                                      occurred_at=timezone.now(), context="CARS2 rating",
                                      description="pushed the cards away and cried")
    child.refresh_from_db()
    assert child.paused
    with pytest.raises(ValidationFailed, match="paused"):
        _enter_vitals(team, child)
    with pytest.raises(AccessDenied):  # a coordinator does not resolve a dissent
        services.resolve_dissent(h.actor(team["coordinator"], DISSENT_RECORD, site), dissent, note="calm again")
    services.resolve_dissent(h.actor(team["investigator"], DISSENT_RESOLVE, site), dissent,
                             note="Child calm after a break; assented to continue with pictures.")
    child.refresh_from_db()
    assert not child.paused
    _enter_vitals(team, child)


def test_free_text_refuses_phone_and_id_numbers(team, site, docs):
    child = h.screen(team["coordinator"], site)
    with pytest.raises(ValidationFailed) as refused:
        services.record_dissent(h.actor(team["rater"], DISSENT_RECORD, site), child, occurred_at=timezone.now(),
                                context="call mother on 13912345678")
    assert "context" in refused.value.errors
