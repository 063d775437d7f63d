"""Clinical CTCAE v5.0 terms: grade definitions as data and a suggested grade from findings.

Expected grades follow the CTCAE v5.0 rows (domain note clinical.md §3.1): Infusion related
reaction, Allergic reaction, Injection site reaction [V]; Seizure and Anaphylaxis [M] — wording
checked against what could be found (see celltrial/safety/ctcae/clinical.py provenance).
"""

from __future__ import annotations

import pytest

from celltrial.safety.ctcae import CLINICAL_TERMS, CtcaeInputError, grade, suggest_grade


@pytest.mark.parametrize(
    ("term", "findings", "expected"),
    [
        # IRR G1 mild transient; G2 interruption but prompt response; G3 prolonged / recurrence /
        # hospitalisation; G4 life-threatening.
        ("infusion_related_reaction", ["mild_transient"], 1),
        ("infusion_related_reaction", ["interruption_needed", "responded_promptly"], 2),
        ("infusion_related_reaction", ["interruption_needed", "prolonged"], 3),
        ("infusion_related_reaction", ["recurrence"], 3),
        ("infusion_related_reaction", ["hospitalisation"], 3),
        ("infusion_related_reaction", ["life_threatening"], 4),
        # Allergic reaction G1 no systemic intervention; G2 oral; G3 bronchospasm / IV / hospitalisation.
        ("allergic_reaction", ["no_systemic_intervention"], 1),
        ("allergic_reaction", ["oral_intervention"], 2),
        ("allergic_reaction", ["bronchospasm"], 3),
        ("allergic_reaction", ["iv_intervention", "oral_intervention"], 3),
        ("allergic_reaction", ["urgent_intervention"], 4),
        # Anaphylaxis has no G1/G2: any finding is at least G3.
        ("anaphylaxis", ["hypotension"], 3),
        ("anaphylaxis", ["symptomatic_bronchospasm", "angioedema"], 3),
        ("anaphylaxis", ["life_threatening"], 4),
        # Injection site reaction G1 tenderness; G2 pain/lipodystrophy/oedema/phlebitis; G3 ulceration.
        ("injection_site_reaction", ["tenderness"], 1),
        ("injection_site_reaction", ["phlebitis"], 2),
        ("injection_site_reaction", ["ulceration_or_necrosis"], 3),
        # Seizure G1 brief partial no LOC; G2 brief generalised; G3 new onset / multiple despite Rx; G4.
        ("seizure", ["brief_partial_no_loc"], 1),
        ("seizure", ["brief_generalised"], 2),
        ("seizure", ["brief_generalised", "new_onset"], 3),
        ("seizure", ["multiple_despite_intervention"], 3),
        ("seizure", ["prolonged_repetitive"], 4),
        ("seizure", ["death"], 5),
    ],
)
def test_suggested_grade_follows_the_row(term: str, findings: list[str], expected: int) -> None:
    result = suggest_grade(term, findings)
    assert result.grade == expected
    assert result.suggested is True
    assert result.version == "5.0"
    assert "confirm" in result.criterion


def test_every_clinical_term_has_en_and_zh_for_each_defined_grade() -> None:
    for term in CLINICAL_TERMS.values():
        assert term.grades, term.key
        for number, definition in term.grades.items():
            assert 1 <= number <= 5
            assert definition.en and definition.zh, (term.key, number)
        for finding in term.findings.values():
            assert finding.grade in term.grades, (term.key, finding)


def test_anaphylaxis_has_no_grade_1_or_2() -> None:
    assert set(CLINICAL_TERMS["anaphylaxis"].grades) == {3, 4, 5}


def test_unverified_rows_are_flagged() -> None:
    assert CLINICAL_TERMS["anaphylaxis"].verified is False
    assert CLINICAL_TERMS["seizure"].verified is False
    assert CLINICAL_TERMS["infusion_related_reaction"].verified is True


def test_aliases_and_dispatcher() -> None:
    assert grade("IRR", findings=["interruption-needed"]).grade == 2
    assert grade("Infusion related reaction", findings=["mild_transient"]).term == "infusion_related_reaction"


@pytest.mark.parametrize(
    ("term", "findings", "match"),
    [
        ("seizure", [], "at least one finding"),
        ("seizure", ["wobbly"], "unknown finding"),
    ],
)
def test_bad_findings_refused(term: str, findings: list[str], match: str) -> None:
    with pytest.raises(CtcaeInputError, match=match):
        suggest_grade(term, findings)


def test_value_for_clinical_term_refused() -> None:
    with pytest.raises(CtcaeInputError, match="findings"):
        grade("seizure", 3)
    with pytest.raises(CtcaeInputError, match="clinical terms only"):
        grade("alt", 50, "U/L", uln=40, findings=["pain"])
