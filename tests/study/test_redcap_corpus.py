"""Every data dictionary of the corpus (tests/fixtures/redcap, sources in SOURCES.md) loads with the
warnings listed here, or is refused at the file:line listed here, exactly.

What REDCap refuses (REDCap's data-dictionary upload, issue 10 §2): a duplicate variable name, the
rows of one instrument split by another's, a radio field without choices. Everything else REDCap
accepts loads; an unsupported feature names the field and the fallback (docs/redcap.md).
A new corpus file without an entry here fails the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from celltrial.study.protocol.errors import ProtocolError
from celltrial.study.protocol.loader import load_dictionary

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "redcap"
FILES = sorted(p for p in CORPUS.rglob("*") if p.suffix in (".csv", ".json"))

# file -> ("loads", [(line, field, fragment of the message)]) or ("refused", [(line, fragment)])
EXPECTED: dict[str, tuple[str, list[Any]]] = {
    "phpcap/longitudinal-metadata.csv": ("loads", []),  # API-style header, file, slider without labels
    "redcapr/clinical-trial-1.csv": ("loads", []),
    "redcapr/decimal-comma.csv": ("loads", []),
    "redcapr/longitudinal-with-repeating-instrument.csv": ("loads", []),
    "redcapr/project-longitudinal.csv": ("loads", []),  # a file field
    "redcapr/survey.csv": ("loads", []),
    "redcapr/validation-types-1.csv": ("loads", [(12, "form_1.f_sql", "field type 'sql'")]),
    "redcapr/vignette-repeating.csv": ("loads", []),
    "authored/action_tags.csv": ("loads", [
        (7, "tags.comment", "@WORDLIMIT needs a positive whole number"),
        (8, "tags.age_band", "action tag @SETVALUE is not supported"),
    ]),
    "authored/api_header_field_types.csv": ("loads", [(6, "enrolment.site_lookup", "field type 'sql'")]),
    "authored/api_metadata.json": ("loads", [(62, "enrolment.clinic", "field type 'sql'")]),
    "authored/autocomplete_with_bounds.csv": ("loads", [
        (3, "enrolment.country", "a dropdown (autocomplete) field has no min"),
        (3, "enrolment.country", "a dropdown (autocomplete) field has no max"),
    ]),
    "authored/bioportal_ontology.csv": ("loads", [
        (3, "history.diagnosis", "BioPortal ontology 'ICD10CM'"),
        (4, "history.drug", "BioPortal ontology 'RXNORM'"),
    ]),
    "authored/choice_blank_label.csv": ("loads", [
        (3, "rating.likert", "choice '2' has a blank label"),
        (3, "rating.likert", "choice '3' has a blank label"),
        (3, "rating.likert", "choice '4' has a blank label"),
        (4, "rating.yes_no_words", "choice 'Yes' must be written as 'code, label'"),
        (4, "rating.yes_no_words", "choice 'No' must be written as 'code, label'"),
        (4, "rating.yes_no_words", "choice 'Unsure' must be written as 'code, label'"),
    ]),
    "authored/comma_decimal_bounds.csv": ("loads", []),
    "authored/descriptive_image.csv": ("loads", [(3, "pain_map.body_map", "descriptive field with an empty label")]),
    "authored/field_as_bound.csv": ("loads", []),
    "authored/impossible_comparison.csv": ("loads", [
        (4, "demo.pregnant", "[sex] is compared with '3'"),
        (5, "demo.pregnant_test", "[pregnant] is compared with 'Y'"),
    ]),
    "authored/logic_js_operators_and_comments.csv": ("loads", []),
    "authored/older_16_columns.csv": ("loads", []),
    "authored/older_without_annotation.csv": ("loads", []),
    "authored/smart_variables_and_instances.csv": ("loads", [
        (5, "conmeds.cm_first", "[cm_name][1] reads another instance"),
        (5, "conmeds.cm_first", "[cm_name][previous-instance] reads another instance"),
        (7, "conmeds.slow", "smart variable [survey-duration-completed:conmeds:m] has no value"),
        (9, "conmeds.gain", "[previous-event-name][weight] names the event by a smart variable"),
        (10, "conmeds.sex_text", "the field modifier :label is not evaluated"),
    ]),
    "authored/refused_api_duplicate.json": ("refused", [(42, "field name 'x' is already used")]),
    "authored/refused_duplicate_field.csv": ("refused", [(4, "field name 'sex' is already used")]),
    "authored/refused_form_not_contiguous.csv": ("refused", [(5, "the rows of form 'form_a' must be contiguous")]),
    "authored/refused_radio_without_choices.csv": ("refused", [(3, "no choices given")]),
}


def test_every_corpus_file_has_an_expectation() -> None:
    names = {p.relative_to(CORPUS).as_posix() for p in FILES}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_corpus_file(path: Path) -> None:
    outcome, expected = EXPECTED[path.relative_to(CORPUS).as_posix()]
    if outcome == "refused":
        with pytest.raises(ProtocolError) as info:
            load_dictionary(path)
        got = [(i.file, i.line) for i in info.value.issues]
        assert got == [(str(path), line) for line, _ in expected], str(info.value)
        for issue, (_, fragment) in zip(info.value.issues, expected, strict=True):
            assert fragment in issue.message, str(issue)
        return
    dictionary = load_dictionary(path)
    assert dictionary.forms
    got_warnings = [(w.line, w.field) for w in dictionary.warnings]
    assert got_warnings == [(line, field) for line, field, _ in expected], "\n".join(map(str, dictionary.warnings))
    for warning, (_, _, fragment) in zip(dictionary.warnings, expected, strict=True):
        assert warning.file == str(path)
        assert fragment in warning.message, str(warning)
        assert warning.fallback


def test_corpus_count() -> None:
    """The note's count: how many corpus files load and how many are refused as REDCap refuses them."""
    loads = sum(1 for outcome, _ in EXPECTED.values() if outcome == "loads")
    assert (loads, len(EXPECTED) - loads) == (22, 4)
