"""Eligibility over the default protocol at its boundaries, each checked against the declared rule.

Declared rules (src/celltrial/protocols/asd_hbmmsc_phase1/protocol.yaml, and clinical.md §1.1
"Inclusion (ILLUSTRATIVE): 6–17 y; ≥17 kg …"; "Exclusion … ALT or AST >2.0×ULN"):

- I01 "Aged 6 to 17 years at consent" — age in completed calendar years on the consent date, from the
  date of birth in the vault; a 29 February birthday falls on 1 March in common years
  (``participants.leap_day_birthday: march_1``);
- I02 "Body weight ≥17 kg at screening";
- E07 "ALT or AST >2.0 × ULN …" — strictly greater: exactly 2.0 × ULN does not exclude;
- protocol-reference.md "Blank data": a criterion whose field is blank is not yet evaluable.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from celltrial.core.errors import ValidationFailed
from celltrial.participants import services, state
from celltrial.participants.permissions import ELIGIBILITY_SIGN, ENROL
from celltrial.participants.rules import eligibility as rules
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def old_docs(site):
    return h.add_documents(site, valid_from=dt.date(2015, 1, 1))


def _child_consented_on(team, site, docs, dob: dt.date, consent_at: dt.datetime):
    child = h.screen(team["coordinator"], site, identity=h.identity(dob, sequence=900 + dob.day),
                     screened_on=consent_at.date())
    h.consent(team["investigator"], child, docs, password=PASSWORD, obtained_at=consent_at,
              assent_method="written")
    return child


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12, 0), tzinfo=BEIJING)


def _outcome(child, criterion: str) -> str:
    return state.evaluate(child).result(criterion).outcome.value


@pytest.mark.parametrize(("dob", "consent_day", "outcome"), [
    (dt.date(2016, 5, 10), dt.date(2022, 5, 10), "met"),      # 6 years 0 days on the consent date
    (dt.date(2016, 5, 10), dt.date(2022, 5, 9), "not_met"),   # the day before the 6th birthday: 5 years
    (dt.date(2016, 2, 29), dt.date(2022, 2, 28), "not_met"),  # 29 February: in 2022 the birthday is 1 March
    (dt.date(2016, 2, 29), dt.date(2022, 3, 1), "met"),
    (dt.date(2004, 8, 20), dt.date(2022, 8, 19), "met"),      # 17 years 364 days: still "to 17 years"
    (dt.date(2004, 8, 20), dt.date(2022, 8, 20), "not_met"),  # 18 years 0 days
])
def test_age_at_consent_boundaries(team, site, old_docs, dob, consent_day, outcome):
    child = _child_consented_on(team, site, old_docs, dob, _noon(consent_day))
    assert _outcome(child, "I01") == outcome


def test_the_consent_date_is_the_sites_calendar_day_not_the_utc_day(team, site, old_docs):
    # 07:30 in Beijing on the 6th birthday is 23:30 UTC the day before: the child is 6, not 5.
    at = dt.datetime(2022, 5, 10, 7, 30, tzinfo=BEIJING)
    child = _child_consented_on(team, site, old_docs, dt.date(2016, 5, 10), at)
    assert _outcome(child, "I01") == "met"
    used = state.evaluate(child).result("I01").used[0]
    assert used.value == 6 and used.source == "vault"


def test_age_is_blank_not_zero_before_consent(team, site, docs):
    child = h.screen(team["coordinator"], site)
    assert _outcome(child, "I01") == "not_evaluable"


# --- weight and liver function, over the protocol's own expressions ------------------------------------------


@pytest.fixture(scope="module")
def criteria():
    from celltrial.study.protocol import default_protocol_path, load_protocol

    return {c.id: rules.Criterion(c.id, c.kind, c.expression) for c in load_protocol(default_protocol_path()).eligibility}


def _data(**values):
    observations = {name: rules.Observation(value, form="test", visit="SCR") for name, value in values.items()}
    return rules.Data({"SCR": observations})


@pytest.mark.parametrize(("weight", "outcome"), [("17.0", "met"), ("17", "met"), ("16.99", "not_met"), ("16.9", "not_met")])
def test_weight_boundary(criteria, weight, outcome):
    result = rules.evaluate_criterion(criteria["I02"], _data(weight_kg=weight), today=dt.date(2025, 9, 1))
    assert result.outcome.value == outcome


LABS_OK = {"ast": "30", "ast_uln": "40", "tbil": "8.0", "tbil_uln": "21.0", "creat": "40", "creat_uln": "70",
           "anc": "3.0", "alc": "2.0", "plt": "250", "hb": "125", "inr": "1.00"}


@pytest.mark.parametrize(("alt", "uln", "outcome"), [
    ("80", "40", "not_met"),  # exactly 2.0 × ULN: the rule is "> 2.0 × ULN", so not excluded
    ("81", "40", "met"),      # just above: excluded
    ("70", "35", "not_met"),
    ("71", "35", "met"),
])
def test_alt_boundary(criteria, alt, uln, outcome):
    result = rules.evaluate_criterion(criteria["E07"], _data(alt=alt, alt_uln=uln, **LABS_OK), today=dt.date(2025, 9, 1))
    assert result.outcome.value == outcome


def test_a_blank_lab_makes_the_criterion_not_evaluable_never_silently_false(criteria):
    labs = {**LABS_OK, "alt": "", "alt_uln": "40"}
    result = rules.evaluate_criterion(criteria["E07"], _data(**labs), today=dt.date(2025, 9, 1))
    assert result.outcome is rules.Outcome.NOT_EVALUABLE and result.missing == ["[alt]"]
    # Blank would have read as "not excluded" in plain REDCap logic (a blank comparison is false):
    from celltrial import logic

    assert logic.is_true(logic.evaluate(criteria["E07"].expression, labs)) is False


def test_a_value_that_decides_the_criterion_decides_it_even_with_another_blank(criteria):
    labs = {**LABS_OK, "alt": "", "plt": "80"}  # platelets < 100 exclude, whatever ALT turns out to be
    result = rules.evaluate_criterion(criteria["E07"], _data(**labs), today=dt.date(2025, 9, 1))
    assert result.outcome is rules.Outcome.MET


def test_a_field_hidden_by_its_branching_is_not_missing(team, site, docs):
    """E11 reads [menarche] (shown for girls) and [preg_test] (shown after menarche): for a boy both are blank
    yet E11 is evaluable — hidden, not missing."""
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    h.enter(team["coordinator"], child, h.eligible_values())
    result = state.evaluate(child).result("E11")
    assert result.outcome is rules.Outcome.NOT_MET
    assert [(u.ref, u.applicable) for u in result.used] == [("[menarche]", False), ("[preg_test]", False)]


# --- the signed decision and its staleness ----------------------------------------------------------------


@pytest.fixture
def eligible_child(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    h.enter(team["coordinator"], child, h.eligible_values())
    return child


def _sign(team, child):
    return services.sign_eligibility(h.actor(team["investigator"], ELIGIBILITY_SIGN, child.site), child,
                                     password=PASSWORD, comment="reviewed")


def test_the_decision_is_signed_on_a_frozen_hashed_snapshot(team, eligible_child):
    from celltrial.accounts.signatures import signatures_for
    from celltrial.core.canonical import content_hash

    decision = _sign(team, eligible_child)
    assert decision.outcome == "eligible"
    assert decision.snapshot_hash == content_hash(decision.snapshot)
    criteria = decision.snapshot["evaluation"]["criteria"]
    assert len(criteria) == 20 and all(c["outcome"] in ("met", "not_met") for c in criteria)
    weight = next(u for c in criteria if c["id"] == "I02" for u in c["used"])
    assert (weight["value"], weight["form"], weight["visit"]) == ("25.0", "vitals", "SCR") and weight["recorded_at"]
    (signature,) = signatures_for(decision)
    assert signature.meaning == "approved" and signature.content_snapshot["snapshot_hash"] == decision.snapshot_hash


def test_a_changed_value_that_was_used_makes_the_decision_stale(team, eligible_child):
    decision = _sign(team, eligible_child)
    h.enter(team["coordinator"], eligible_child, {"vitals": {**h.eligible_values()["vitals"], "weight_kg": "24.0"}},
            reason="re-weighed without shoes")
    decision.refresh_from_db()
    assert decision.stale_at is not None
    assert decision.stale_changes == {"[scr][weight_kg]": ["25.0", "24.0"]}
    # The signature stays as the evidence of what was known then; enrolment waits for a new signature.
    from celltrial.accounts.signatures import is_current, signatures_for

    assert is_current(signatures_for(decision)[0], decision)
    refusal = services.enrolment_refusal(eligible_child)
    assert refusal is not None and "stale" in refusal
    with pytest.raises(ValidationFailed, match="stale"):
        services.enrol(h.actor(team["coordinator"], ENROL, eligible_child.site), eligible_child)
    # Signing again on the new values makes it current.
    _sign(team, eligible_child)
    assert services.enrolment_refusal(eligible_child) is None


def test_a_change_to_a_value_no_criterion_used_does_not(team, eligible_child):
    decision = _sign(team, eligible_child)
    h.enter(team["coordinator"], eligible_child, {"vitals": {**h.eligible_values()["vitals"], "hr": "95"}},
            reason="recounted")
    decision.refresh_from_db()
    assert decision.stale_at is None


def test_a_changed_date_of_birth_makes_the_decision_stale(team, eligible_child):
    decision = _sign(team, eligible_child)
    identity = services.reveal_identity(h.actor(team["coordinator"], "participant.identity.edit", eligible_child.site),
                                        eligible_child)
    new_dob = dt.date(2004, 1, 1)  # 21 years old at consent
    services.edit_identity(h.actor(team["coordinator"], "participant.identity.edit", eligible_child.site),
                           eligible_child, {"date_of_birth": new_dob.isoformat(),
                                            "id_number": h.identity(new_dob)["id_number"]},
                           expected_version=identity.version, reason="birth certificate checked")
    decision.refresh_from_db()
    assert decision.stale_at is not None and "[age_years]" in decision.stale_changes


def test_an_incomplete_evaluation_cannot_be_signed(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    values = h.eligible_values()
    values["labs"]["alt"] = ""
    h.enter(team["coordinator"], child, values)
    assert state.evaluate(child).decision is rules.Decision.INCOMPLETE
    with pytest.raises(ValidationFailed, match="E07"):
        _sign(team, child)


def test_a_screen_failure_is_recorded_with_its_failing_criteria(team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    values = h.eligible_values(alt="81", alt_uln="40")
    values["vitals"]["weight_kg"] = "16.9"
    h.enter(team["coordinator"], child, values)
    decision = _sign(team, child)
    child.refresh_from_db()
    assert decision.outcome == "not_eligible" and decision.failing_criteria == ["I02", "E07"]
    assert child.status == "screen_failed"


def test_only_an_investigator_signs(team, eligible_child):
    from celltrial.core.errors import AccessDenied

    coordinator = h.actor(team["coordinator"], "participant.enrol", eligible_child.site)
    with pytest.raises(AccessDenied):
        services.sign_eligibility(coordinator, eligible_child, password=PASSWORD)


def test_a_wrong_password_signs_nothing(team, eligible_child):
    from celltrial.accounts.signatures import SignatureRefused

    with pytest.raises(SignatureRefused):
        services.sign_eligibility(h.actor(team["investigator"], ELIGIBILITY_SIGN, eligible_child.site), eligible_child,
                                  password="wrong-password-1")
    assert state.latest_decision(eligible_child) is None


def test_a_save_at_a_visit_no_criterion_reads_leaves_the_decision_alone(team, eligible_child, monkeypatch):
    """Only the visits the criteria (and the branching of their fields) read can change an evaluation, so the
    capture room's save subscriber skips the re-evaluation elsewhere; at the screening visit it still runs."""
    from celltrial.participants.apps import _refresh_eligibility

    decision = _sign(team, eligible_child)
    actor = h.actor(team["coordinator"], "participant.data.enter", eligible_child.site)
    evaluations = []
    real = state.evaluate
    monkeypatch.setattr(state, "evaluate", lambda *a, **k: evaluations.append(a) or real(*a, **k))
    _refresh_eligibility(actor, eligible_child, "BL", "vitals")
    _refresh_eligibility(actor, eligible_child, "W24", "abc")
    assert evaluations == []
    _refresh_eligibility(actor, eligible_child, "SCR", "vitals")
    assert len(evaluations) == 1
    decision.refresh_from_db()
    assert decision.stale_at is None


def test_the_visits_eligibility_reads_follow_criteria_and_branching():
    from types import SimpleNamespace as NS

    from celltrial.study.protocol.loader import load_protocol
    from celltrial.study.services import default_protocol_path

    assert state.eligibility_visits(load_protocol(default_protocol_path())) == {"scr"}

    fields = {"scr_form": [NS(name="a", branching="[d1][b] = '1'")], "d1_form": [NS(name="b", branching=None)],
              "bl_form": [NS(name="w", branching="[x] > 1")], "w24_form": [NS(name="z", branching=None)]}
    visits = [NS(code="SCR", forms=["scr_form"]), NS(code="D1", forms=["d1_form"]), NS(code="BL", forms=["bl_form"]),
              NS(code="W24", forms=["w24_form"])]
    p = NS(visits=visits, eligibility=[NS(expression="[bl][w] >= 17")], form=lambda n: NS(fields=fields[n]))
    # SCR always; BL named by a criterion; D1 named by the branching of a screening field; W24 by nothing.
    assert state.eligibility_visits(p) == {"scr", "bl", "d1"}
