"""The pure form engine: every field type, the action tags, partial dates, branching that hides and clears,
calc fields computed on the server, missing-data codes. Forms are built with the protocol schema itself."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from celltrial.capture.engine.tags import resolve
from celltrial.capture.engine.values import FILE_MAX_BYTES, clean, initial_values
from celltrial.study.protocol.schema import Form

TODAY = dt.date(2025, 9, 1)
NOW = dt.datetime(2025, 9, 1, 10, 30)


def form(*fields: dict) -> Form:
    return Form.model_validate({"name": "f", "label": {"en": "F", "zh": "表"}, "fields": list(fields)})


def fld(name: str, type_: str, **extra) -> dict:
    return {"name": name, "type": type_, "label": {"en": name.title(), "zh": name}, **extra}


YES_NO = {"1": {"en": "Yes", "zh": "是"}, "0": {"en": "No", "zh": "否"}}


def codes(outcome) -> dict[str, str]:
    return {p.field: p.code for p in outcome.problems}


# --- types ----------------------------------------------------------------------------------------------


def test_integer_and_number_with_range_units_and_decimals():
    f = form(fld("hr", "integer", min=40, max=200, units="beats/min"),
             fld("wt", "number", min=10, max=150, units="kg", decimals=1))
    assert clean(f, {"hr": "90", "wt": "25.5"}, today=TODAY).ok
    out = clean(f, {"hr": "39", "wt": "150.1"}, today=TODAY)
    assert codes(out) == {"hr": "range", "wt": "range"}
    assert out.problems[0].params == {"min": "40", "max": "200", "units": "beats/min"}
    assert codes(clean(f, {"hr": "9O", "wt": "25.55"}, today=TODAY)) == {"hr": "integer", "wt": "decimals"}


def test_text_validations_and_limits():
    f = form(fld("mail", "text", validation="email"), fld("tel", "text", validation="phone"),
             fld("short", "text", annotation="@CHARLIMIT=5"), fld("words", "notes", annotation="@WORDLIMIT=3"),
             fld("decimal_comma", "text", validation="number_comma_decimal", min=0, max=2))
    assert clean(f, {"mail": "a@b.cn", "tel": "+86 10 1234 5678", "short": "abcde", "words": "one two three",
                     "decimal_comma": "1,5"}, today=TODAY).ok
    assert codes(clean(f, {"mail": "nobody", "tel": "call me", "short": "abcdef", "words": "one two three four",
                           "decimal_comma": "2,5"}, today=TODAY)) == {
        "mail": "email", "tel": "phone", "short": "char_limit", "words": "word_limit", "decimal_comma": "range"}


def test_dates_datetimes_times_and_today_bounds():
    f = form(fld("d", "date", max="today"), fld("dt", "datetime"), fld("t", "text", validation="time"))
    assert clean(f, {"d": "2025-09-01", "dt": "2025-09-01T10:15", "t": "23:59"}, today=TODAY).values["dt"] == \
        "2025-09-01 10:15"
    assert codes(clean(f, {"d": "2025-09-02", "dt": "2025-02-30 10:00", "t": "24:00"}, today=TODAY)) == {
        "d": "date_max", "dt": "datetime", "t": "time"}
    assert codes(clean(f, {"d": "2025-08"}, today=TODAY)) == {"d": "date"}


def test_partial_dates_only_where_the_field_allows_an_unknown_day_or_month():
    f = form(fld("onset", "date", max="today", annotation="@PARTIALDATE"))
    for value in ("2025-08-15", "2025-08", "2025"):
        assert clean(f, {"onset": value}, today=TODAY).ok, value
    assert codes(clean(f, {"onset": "2025-13"}, today=TODAY)) == {"onset": "partial_date"}
    assert codes(clean(f, {"onset": "2025-10"}, today=TODAY)) == {"onset": "date_max"}
    assert codes(clean(f, {"onset": "2026"}, today=TODAY)) == {"onset": "date_max"}


def test_choices_yesno_truefalse_checkbox_slider():
    f = form(fld("r", "radio", choices={"1": {"en": "A", "zh": "甲"}, "2": {"en": "B", "zh": "乙"}}),
             fld("yn", "yesno"), fld("dd", "dropdown", choices=YES_NO),
             fld("cb", "checkbox", choices={"1": {"en": "A", "zh": "甲"}, "2": {"en": "B", "zh": "乙"}}))
    out = clean(f, {"r": "2", "yn": "0", "dd": "1", "cb": ["2", "1", "2"]}, today=TODAY)
    assert out.ok and out.values["cb"] == ["1", "2"]
    assert codes(clean(f, {"r": "3", "yn": "2", "dd": "x", "cb": ["9"]}, today=TODAY)) == {
        "r": "choice", "yn": "yesno", "dd": "choice", "cb": "choice"}


def test_types_the_loader_is_adding_truefalse_slider_file_signature_sql():
    # The protocol schema does not list these types yet (another change adds them); the engine reads
    # any field object with these attributes, so a stand-in is enough here.
    from types import SimpleNamespace as NS

    def field(name, type_, **kw):
        base = dict(name=name, type=type_, label=None, units=None, min=None, max=None, decimals=None,
                    validation=None, required=False, identifier=False, branching=None, calc=None, annotation=None,
                    choices=None)
        return NS(**{**base, **kw})

    f = NS(name="f", fields=[field("tf", "truefalse"), field("s", "slider", min=0, max=10),
                             field("doc", "file"), field("sig", "file", validation="signature"), field("q", "sql")])
    digest = hashlib.sha256(b"x").hexdigest()
    pdf = {"name": "a.pdf", "sha256": digest, "size": 10, "content_type": "application/pdf"}
    png = {**pdf, "content_type": "image/png"}
    assert clean(f, {"tf": "1", "s": "7", "doc": pdf, "sig": png, "q": "free text"}, today=TODAY).ok
    out = clean(f, {"tf": "yes", "s": "11", "doc": {**pdf, "size": FILE_MAX_BYTES + 1}, "sig": pdf}, today=TODAY)
    assert codes(out) == {"tf": "truefalse", "s": "range", "doc": "file_size", "sig": "file_type"}
    assert codes(clean(f, {"doc": {"name": "a", "sha256": "nothex", "size": 1}}, today=TODAY)) == {"doc": "file"}


def test_unknown_fields_identifiers_and_calc_cannot_be_typed():
    f = form(fld("dob", "date", identifier=True), fld("a", "integer"), fld("b", "calc", calc="[a]*2"))
    assert codes(clean(f, {"dob": "2017-01-01", "b": "99", "zzz": "1"}, today=TODAY)) == {
        "dob": "identifier", "b": "computed", "zzz": "unknown"}


# --- calc and branching ------------------------------------------------------------------------------------


def test_calc_is_computed_on_the_server_from_the_typed_values():
    # BMI = weight / height² (the default protocol's vitals form writes it in REDCap's calc language).
    f = form(fld("weight_kg", "number"), fld("height_cm", "number"),
             fld("bmi", "calc", calc="round(([weight_kg]*10000)/([height_cm]^2),1)"))
    out = clean(f, {"weight_kg": "25.0", "height_cm": "120.0"}, today=TODAY)
    assert out.values["bmi"] == str(round(25.0 / 1.2 ** 2, 1))


def test_branching_hides_and_clears_and_a_chain_collapses():
    f = form(fld("menarche", "yesno"), fld("preg_test", "yesno", branching="[menarche] = '1'"),
             fld("preg_result", "text", branching="[preg_test] = '1'"))
    out = clean(f, {"menarche": "0", "preg_test": "1", "preg_result": "negative"}, today=TODAY)
    assert out.values["preg_test"] == "" and out.values["preg_result"] == ""
    assert out.not_applicable == {"preg_test", "preg_result"}
    shown = clean(f, {"menarche": "1", "preg_test": "1", "preg_result": "negative"}, today=TODAY)
    assert shown.values["preg_result"] == "negative" and not shown.not_applicable


def test_a_refused_value_in_a_hidden_field_is_cleared_not_refused():
    f = form(fld("any", "yesno"), fld("hr", "integer", min=40, max=200, branching="[any] = '1'"))
    assert clean(f, {"any": "0", "hr": "9999"}, today=TODAY).ok
    assert codes(clean(f, {"any": "1", "hr": "9999"}, today=TODAY)) == {"hr": "range"}


def test_branching_reads_other_forms_and_other_visits():
    f = form(fld("x", "text", branching="[bl][weight_kg] > 20 and [sex] = '2'"))
    shown = clean(f, {"x": "kept"}, today=TODAY, context={"sex": "2"}, events={"bl": {"weight_kg": "25"}})
    hidden = clean(f, {"x": "kept"}, today=TODAY, context={"sex": "2"}, events={"bl": {"weight_kg": "19"}})
    assert shown.values["x"] == "kept" and hidden.values["x"] == ""


def test_branching_reads_the_smart_variables_the_page_knows():
    """REDCap's [event-name] is the visit's unique event name and [current-instance] the repeat instance
    (REDCap smart-variables help: "Event-related" and "Repeating instruments"); a form shown only at Week 24
    and from the second concomitant medication on."""
    f = form(fld("x", "text", branching="[event-name] = 'w24' and [current-instance] > 1"))
    assert clean(f, {"x": "kept"}, today=TODAY, smart={"event-name": "w24", "current-instance": 2}).values["x"] == "kept"
    assert clean(f, {"x": "kept"}, today=TODAY, smart={"event-name": "w24", "current-instance": 1}).values["x"] == ""
    assert clean(f, {"x": "kept"}, today=TODAY, smart={"event-name": "d28", "current-instance": 2}).values["x"] == ""


def test_a_field_named_as_min_or_max_bounds_the_value_from_the_same_record():
    """REDCap accepts a field name in brackets as a validation min or max and evaluates it against the record
    being entered (REDCap "Field validation" help: min/max may be a [field]); diastolic below systolic."""
    f = form(fld("sbp", "integer", min=40, max=250), fld("dbp", "integer", min=20, max="[sbp]"))
    assert codes(clean(f, {"sbp": "110", "dbp": "120"}, today=TODAY)) == {"dbp": "max"}
    assert clean(f, {"sbp": "110", "dbp": "70"}, today=TODAY).ok
    assert clean(f, {"sbp": "", "dbp": "120"}, today=TODAY).ok  # a blank bound does not apply


def test_required_only_on_completion_and_only_when_shown():
    f = form(fld("a", "yesno", required=True), fld("b", "text", required=True, branching="[a] = '1'"))
    assert codes(clean(f, {}, today=TODAY)) == {"a": "required"}
    assert clean(f, {}, today=TODAY, complete=False).ok
    assert clean(f, {"a": "0"}, today=TODAY).ok
    assert codes(clean(f, {"a": "1"}, today=TODAY)) == {"b": "required"}


def test_missing_data_codes_stand_for_a_value_and_satisfy_required():
    f = form(fld("hr", "integer", min=40, max=200, required=True), fld("cb", "checkbox", choices=YES_NO))
    out = clean(f, {"hr": "UNK", "cb": ["NASK"]}, today=TODAY)
    assert out.ok and out.values == {"hr": "UNK", "cb": ["NASK"]}
    assert codes(clean(f, {"hr": "UNKNOWN"}, today=TODAY)) == {"hr": "integer"}


# --- action tags ---------------------------------------------------------------------------------------------


def test_tags_are_parsed_with_their_arguments():
    tags = resolve('@HIDDEN @READONLY @DEFAULT="3" @HIDECHOICE="2, 3" @PLACEHOLDER=\'e.g. 25\' @CHARLIMIT=10 '
                   '@WORDLIMIT = 4 @NONEOFTHEABOVE=9 @CALCTEXT(if([a]>1, "big", "small")) @LANG-ZH-LABEL="x" '
                   '@SETVALUE="1"')
    assert tags.hidden and tags.readonly and tags.default == "3" and tags.hide_choices == {"2", "3"}
    assert tags.placeholder == "e.g. 25" and tags.char_limit == 10 and tags.word_limit == 4
    assert tags.none_of_the_above == {"9"} and tags.calctext == 'if([a]>1, "big", "small")'
    # the loader's own tags (@LANG-ZH-LABEL) are known; a REDCap tag the platform does not run is named
    assert tags.unknown == ("SETVALUE",)


def test_if_picks_its_tags_from_the_record():
    f = form(fld("a", "yesno"), fld("b", "text", annotation="@IF([a] = '1', @HIDDEN, @READONLY)"))
    assert "b" in clean(f, {"a": "1"}, today=TODAY).hidden
    out = clean(f, {"a": "0", "b": "typed"}, today=TODAY)
    assert "b" not in out.hidden and out.tags["b"].readonly and out.values["b"] == ""


def test_hidden_and_hidden_survey():
    f = form(fld("a", "text", annotation="@HIDDEN"), fld("b", "text", annotation="@HIDDEN-SURVEY"))
    assert clean(f, {}, today=TODAY).hidden == {"a"}
    assert clean(f, {}, today=TODAY, survey=True).hidden == {"a", "b"}


def test_default_today_now_and_readonly_keeps_its_value():
    f = form(fld("d", "date", annotation="@TODAY"), fld("t", "datetime", annotation="@NOW @READONLY"),
             fld("n", "integer", annotation='@DEFAULT="5"'))
    assert initial_values(f, today=TODAY, now=NOW) == {"d": "2025-09-01", "t": "2025-09-01 10:30", "n": "5"}
    first = clean(f, {"d": "2025-08-30", "t": "2020-01-01 00:00", "n": "6"}, today=TODAY, now=NOW)
    assert first.values["t"] == "2025-09-01 10:30", "a read-only field takes its default, not what was posted"
    later = clean(f, {"t": "2020-01-01 00:00"}, today=TODAY, now=NOW + dt.timedelta(days=1), previous=first.values)
    assert later.values["t"] == "2025-09-01 10:30", "and then keeps the saved value"


def test_hidechoice_refuses_a_new_hidden_answer_but_keeps_an_old_one():
    f = form(fld("r", "radio", choices={"1": {"en": "A", "zh": "甲"}, "2": {"en": "Old", "zh": "旧"}},
                 annotation='@HIDECHOICE="2"'))
    assert codes(clean(f, {"r": "2"}, today=TODAY)) == {"r": "choice"}
    assert clean(f, {"r": "2"}, today=TODAY, previous={"r": "2"}).ok


def test_none_of_the_above_is_exclusive():
    f = form(fld("cb", "checkbox", choices={"1": {"en": "A", "zh": "甲"}, "9": {"en": "None", "zh": "无"}},
                 annotation="@NONEOFTHEABOVE=9"))
    assert clean(f, {"cb": ["9"]}, today=TODAY).ok
    assert codes(clean(f, {"cb": ["1", "9"]}, today=TODAY)) == {"cb": "none_of_the_above"}


def test_calctext_fills_a_text_field_from_an_expression():
    f = form(fld("score", "integer"), fld("band", "text", annotation="@CALCTEXT(if([score] >= 30, 'high', 'low'))"))
    assert clean(f, {"score": "31", "band": "typed over"}, today=TODAY).values["band"] == "high"
    assert clean(f, {"score": "3"}, today=TODAY).values["band"] == "low"


@pytest.mark.parametrize("text", ["@IF(", "@DEFAULT=", "@CALCTEXT(((", '@PLACEHOLDER="unterminated', "@@@"])
def test_malformed_annotations_never_raise(text):
    f = form(fld("a", "text", annotation=text))
    assert clean(f, {"a": "x"}, today=TODAY) is not None


# --- the shipped protocol's forms (moved from the participants room's former value checker) ---------------------


@pytest.fixture(scope="module")
def shipped():
    from celltrial.study.protocol import default_protocol_path, load_protocol

    return load_protocol(default_protocol_path())


def _clean(form_def, raw, *, today):
    outcome = clean(form_def, raw, today=today, complete=False)
    return outcome.values, outcome.problems


D = dt.date


def test_values_are_checked_against_the_dictionary(shipped):
    vitals = shipped.form("vitals")  # weight_kg: number_1dp, 10-150 kg (vitals.csv): below it is out of the range
    cleaned, problems = _clean(vitals, {"weight_kg": "17.0", "hr": "90"}, today=D(2025, 9, 1))
    assert problems == [] and cleaned["weight_kg"] == "17.0"
    _, problems = _clean(vitals, {"weight_kg": "16.99"}, today=D(2025, 9, 1))
    assert [(p.field, p.code) for p in problems] == [("weight_kg", "decimals")]
    _, problems = _clean(vitals, {"weight_kg": "9.9", "hr": "fast", "nonsense": "1"}, today=D(2025, 9, 1))
    assert {(p.field, p.code) for p in problems} == {("weight_kg", "range"), ("hr", "integer"), ("nonsense", "unknown")}


def test_calculated_fields_are_computed_and_never_typed(shipped):
    cars2 = shipped.form("cars2")
    cleaned, problems = _clean(cars2, {f"cars2_{i:02d}": "2" for i in range(1, 16)}, today=D(2025, 9, 1))
    assert problems == [] and cleaned["cars2_total"] == "30"
    _, problems = _clean(cars2, {"cars2_total": "45"}, today=D(2025, 9, 1))
    assert [(p.field, p.code) for p in problems] == [("cars2_total", "computed")]


def test_the_date_of_birth_is_refused_in_a_clinical_form(shipped):
    _, problems = _clean(shipped.form("demographics"), {"dob": "2017-04-12"}, today=D(2025, 9, 1))
    assert [(p.field, p.code) for p in problems] == [("dob", "identifier")]
