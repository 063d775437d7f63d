"""What REDCap's dictionary features become when loaded (docs/redcap.md, "Fallbacks").

Sources:
- [CDISC] /work/shared/domain/cdisc.md §5 (REDCap's MetaData::getDataDictionaryHeaders, the API keys in
  the same order, field types, "for slider it holds `left | middle | right` labels", "Export maps the
  legacy `int`→integer, `float`→number and `date`→date_ymd", "Min/Max use the same format as the
  validation").
- [HELP] REDCap's help on logic (comments with `#` and `//`), see tests/logic/test_redcap_syntax.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celltrial.study.protocol import (
    ProtocolError,
    load_dictionary,
    load_protocol,
    load_protocol_with_warnings,
    write_redcap_csv,
)
from celltrial.study.protocol.redcap import API_KEYS, HEADERS, read_redcap_csv
from celltrial.study.protocol.schema import FormField

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "redcap"
MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "protocols" / "minimal"


def _field(path: Path, name: str) -> FormField:
    for form in load_dictionary(path).forms:
        for f in form.fields:
            if f.name == name:
                return f
    raise KeyError(name)


def test_api_keys_are_the_headers_in_the_same_order() -> None:  # [CDISC]
    assert len(API_KEYS) == len(HEADERS) == 18
    assert API_KEYS[0] == "field_name" and API_KEYS[-1] == "field_annotation"


def test_slider_file_signature_sql() -> None:
    path = CORPUS / "authored" / "api_header_field_types.csv"
    slider = _field(path, "pain_vas")
    assert (slider.type, slider.slider_labels, slider.min, slider.max, slider.validation) == (
        "slider", ["No pain", "Moderate", "Worst pain"], 0, 10, "number")  # [CDISC]: left | middle | right
    assert (_field(path, "consent_scan").type, _field(path, "consent_scan").validation) == ("file", None)
    assert (_field(path, "guardian_sig").type, _field(path, "guardian_sig").validation) == ("file", "signature")
    assert _field(path, "site_lookup").type == "text"  # sql -> text


def test_comma_decimal_bounds_are_numbers() -> None:
    path = CORPUS / "authored" / "comma_decimal_bounds.csv"
    temp = _field(path, "temp_c")
    assert (temp.type, temp.decimals, temp.min, temp.max) == ("number", 1, 35.0, 42.5)
    assert (_field(path, "height_m").min, _field(path, "height_m").max) == (0.45, 2.1)
    # written back with the comma the validation asks for
    text = write_redcap_csv(load_dictionary(path).forms)
    assert '"number_1dp_comma_decimal","35","42,5"' in text
    assert '"number_2dp_comma_decimal","0,45","2,1"' in text


def test_field_as_bound_is_kept_for_entry() -> None:
    path = CORPUS / "authored" / "field_as_bound.csv"
    given = _field(path, "dose_given")
    assert (given.min, given.max, given.bound_reference("max"), given.bound_reference("min")) == (
        0, "[dose_max]", "dose_max", None)
    assert _field(path, "visit_date").bound_reference("min") == "enrol_date"


def test_field_as_bound_naming_no_field_is_a_warning(tmp_path: Path) -> None:
    text = (CORPUS / "authored" / "field_as_bound.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "d.csv"
    bad.write_text(text.replace("[dose_max]", "[dose_limit]"), encoding="utf-8")
    (warning,) = load_dictionary(bad).warnings
    assert (warning.line, warning.field, warning.fallback) == (6, "visit.dose_given", "no max")
    assert "names no field" in warning.message


def test_autocomplete_bounds_are_dropped() -> None:
    country = _field(CORPUS / "authored" / "autocomplete_with_bounds.csv", "country")
    assert (country.type, country.validation, country.min, country.max) == ("dropdown", "autocomplete", None, None)


def test_blank_label_shows_the_code_and_no_comma_is_code_and_label() -> None:
    path = CORPUS / "authored" / "choice_blank_label.csv"
    likert = _field(path, "likert")
    assert [(c.code, c.label.en) for c in likert.choices] == [
        ("1", "Disagree"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "Agree")]
    assert [(c.code, c.label.en) for c in _field(path, "yes_no_words").choices] == [
        ("Yes", "Yes"), ("No", "No"), ("Unsure", "Unsure")]


def test_choice_text_that_cannot_be_a_code_is_still_refused(tmp_path: Path) -> None:
    text = (CORPUS / "authored" / "choice_blank_label.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "d.csv"
    bad.write_text(text.replace("Yes | No | Unsure", "Yes please | No"), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_dictionary(bad)
    (issue,) = info.value.issues
    assert issue.line == 4 and "choice 'Yes please' must be written as 'code, label'" in issue.message


def test_descriptive_without_label_shows_its_name() -> None:
    assert _field(CORPUS / "authored" / "descriptive_image.csv", "body_map").label.en == "body_map"


def test_bioportal_is_a_plain_text_field() -> None:
    diagnosis = _field(CORPUS / "authored" / "bioportal_ontology.csv", "diagnosis")
    assert (diagnosis.type, diagnosis.choices, diagnosis.validation) == ("text", None, None)


@pytest.mark.parametrize(("name", "field", "kind"), [
    ("older_16_columns.csv", "age", "integer"),  # [CDISC]: legacy int -> integer
    ("older_16_columns.csv", "weight", "number"),  # float -> number
    ("older_16_columns.csv", "visit_date", "date"),  # date -> date_ymd
    ("older_without_annotation.csv", "dob", "date"),
])
def test_older_headers_and_legacy_validations(name: str, field: str, kind: str) -> None:
    assert _field(CORPUS / "authored" / name, field).type == kind


def test_older_file_keeps_the_date_format_and_today() -> None:
    dob = _field(CORPUS / "authored" / "older_without_annotation.csv", "dob")
    assert (dob.validation, dob.min, dob.max) == ("date_dmy", "01-01-2005", "today")


def test_short_rows_read_as_empty_cells_and_long_rows_are_refused(tmp_path: Path) -> None:
    header = ",".join(f'"{h}"' for h in HEADERS)
    short = tmp_path / "short.csv"
    short.write_text(f"{header}\nrecord_id,f,,text,Record ID\n", encoding="utf-8")
    assert load_dictionary(short).forms[0].fields[0].label.en == "Record ID"
    long = tmp_path / "long.csv"
    long.write_text(f"{header}\nrecord_id,f,,text,Record ID{',' * 12},x,extra\n", encoding="utf-8")
    _forms, issues = read_redcap_csv(long, "long.csv")
    assert [(i.line, i.message) for i in issues] == [(2, "expected 18 columns, found 19")]


def test_header_that_is_not_a_dictionary_is_refused_at_line_1(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("name,age\nann,3\n", encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_dictionary(path)
    (issue,) = info.value.issues
    assert (issue.line, issue.field) == (1, "(header)") and "not a REDCap data dictionary" in issue.message


def test_logic_comments_and_javascript_operators_load() -> None:  # [HELP]
    path = CORPUS / "authored" / "logic_js_operators_and_comments.csv"
    assert load_dictionary(path).warnings == []
    assert _field(path, "score").calc == "// one point per symptom\nsum([fever], [cough])"


def test_json_metadata_reports_the_line_of_each_object(tmp_path: Path) -> None:
    items = json.loads((CORPUS / "authored" / "api_metadata.json").read_text(encoding="utf-8"))
    items[1]["field_type"] = "slidr"
    path = tmp_path / "m.json"
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_dictionary(path)
    (issue,) = info.value.issues
    starts = [n for n, line in enumerate(json.dumps(items, indent=1).splitlines(), 1) if line == " {"]
    assert issue.line == starts[1] and "unknown field type 'slidr'" in issue.message


@pytest.mark.parametrize(("text", "fragment"), [
    ('{"field_name": "a"}', "expected a JSON list of field objects"),
    ('[{"field_name": "a", "form_name": "f", "field_type": "text", "field_label": "A"} {}]', "expected ',' or ']'"),
    ('[1]', "each entry must be an object"),
    ("[" + "[" * 100_000 + "]" * 100_000 + "]", "nested too deeply"),
    ('[{"field_name": "a", "form_name": "f", "field_type": "text", "field_label": ["A"]}]', "must be text"),
])
def test_json_metadata_refusals(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "m.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProtocolError) as info:
        load_dictionary(path)
    assert fragment in str(info.value)


def test_warnings_of_a_dictionary_inside_a_protocol(tmp_path: Path) -> None:
    for name in ("protocol.yaml", "vitals.csv"):
        (tmp_path / name).write_bytes((MINIMAL / name).read_bytes())
    (tmp_path / "extra.csv").write_bytes((CORPUS / "authored" / "impossible_comparison.csv").read_bytes())
    text = (tmp_path / "protocol.yaml").read_text(encoding="utf-8")
    text = text.replace("reporting:", "  - redcap: extra.csv\nreporting:", 1)
    (tmp_path / "protocol.yaml").write_text(text, encoding="utf-8")
    protocol, warnings = load_protocol_with_warnings(tmp_path / "protocol.yaml")
    assert protocol.form("demo").field("pregnant").branching == "[sex] = '3'"
    assert [(Path(w.file).name, w.line, w.field) for w in warnings] == [
        ("extra.csv", 4, "demo.pregnant"), ("extra.csv", 5, "demo.pregnant_test")]
    assert str(warnings[0]).startswith(f"{tmp_path / 'extra.csv'}:4: demo.pregnant (column \"Branching Logic")
    assert "; fallback: loaded as written" in str(warnings[0])
    assert load_protocol(tmp_path / "protocol.yaml") == protocol  # load_protocol: the same, warnings aside


def test_round_trip_of_the_new_field_types() -> None:
    forms = load_dictionary(CORPUS / "redcapr" / "validation-types-1.csv").forms
    text = write_redcap_csv(forms)
    assert '"f_slider","form_1","","slider","Slider","-1 | 50 | 101","","","-1","101"' in text
    assert '"f_signature","form_1","","file","Signature","","","signature"' in text


def test_action_tags_reach_the_field() -> None:
    path = CORPUS / "authored" / "action_tags.csv"
    assert _field(path, "site").action_tags.hidechoice == frozenset({"3"})
    assert _field(path, "site").action_tags.default == "1"
    assert _field(path, "symptoms").action_tags.none_of_the_above == frozenset({"99"})
    assert _field(path, "visit_dt").action_tags.now and _field(path, "visit_dt").action_tags.readonly
    assert _field(path, "age").action_tags.if_[0].condition == "[site] = '2'"


def test_check_command_prints_warnings_and_refusals(capsys: pytest.CaptureFixture[str]) -> None:
    from celltrial.study.protocol.check import main

    ok = str(CORPUS / "authored" / "bioportal_ontology.csv")
    refused = str(CORPUS / "authored" / "refused_duplicate_field.csv")
    assert main([ok]) == 0
    out = capsys.readouterr().out
    assert f"{ok}: loads with 2 warning(s)" in out and f"{ok}:3: history.diagnosis" in out
    assert main([ok, refused, "--json"]) == 2
    report = json.loads(capsys.readouterr().out)
    assert [(r["loads"], len(r["warnings"]), [i["line"] for i in r["issues"]]) for r in report] == [
        (True, 2, []), (False, 0, [4])]


def test_protocol_includes_api_json_metadata(tmp_path: Path) -> None:
    for name in ("protocol.yaml", "vitals.csv"):
        (tmp_path / name).write_bytes((MINIMAL / name).read_bytes())
    (tmp_path / "meta.json").write_bytes((CORPUS / "authored" / "api_metadata.json").read_bytes())
    text = (tmp_path / "protocol.yaml").read_text(encoding="utf-8")
    (tmp_path / "protocol.yaml").write_text(text.replace("reporting:", "  - redcap: meta.json\nreporting:", 1),
                                            encoding="utf-8")
    protocol, warnings = load_protocol_with_warnings(tmp_path / "protocol.yaml")
    assert [f.name for f in protocol.form("enrolment").fields] == ["record_id", "photo", "anxiety", "clinic", "group"]
    assert protocol.form("enrolment").field("anxiety").slider_labels == ["None", "", "Extreme"]
    assert [(w.line, w.field) for w in warnings] == [(62, "enrolment.clinic")]
