"""REDCap data-dictionary CSV: reading, writing, round trip."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from celltrial.study.protocol import load_protocol, read_redcap_csv, write_redcap_csv
from celltrial.study.protocol.redcap import HEADERS
from celltrial.study.protocol.schema import Form
from tests.study.protocol.protocol_testlib import FIXTURES, minimal


def _forms_from(path: Path) -> list[Form]:
    csv_forms, issues = read_redcap_csv(path, str(path))
    assert issues == [] and all(not f.problems for f in csv_forms)
    return [Form.model_validate(f.data) for f in csv_forms]


def test_reads_types_validation_choices_and_chinese() -> None:
    vitals = minimal().form("vitals")
    date, weight, hr, abnormal, desc = vitals.fields
    assert (date.type, date.min, date.max, date.annotation) == ("date", "2020-01-01", "today", "@TODAY")
    assert (weight.type, weight.min, weight.max, weight.units) == ("number", 10, 150, "kg")
    assert weight.note is not None and (weight.note.en, weight.note.zh) == ("Light clothing", "轻便衣物")
    assert weight.section_header is not None and weight.section_header.zh == "体格测量"
    assert hr.type == "integer" and hr.label.zh == "心率"
    assert [(c.code, c.label.en, c.label.zh) for c in abnormal.choices or []] == [("1", "Yes", "是"),
                                                                                   ("0", "No", "否")]
    assert abnormal.alignment == "RH" and abnormal.required
    assert desc.branching == "[vs_abnormal] = '1'"


def test_round_trip_keeps_choices_validation_and_branching(tmp_path: Path) -> None:
    original = minimal().form("vitals")
    text = write_redcap_csv([original])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == HEADERS
    by_name = {r["Variable / Field Name"]: r for r in rows}
    assert by_name["vs_abnormal"]["Choices, Calculations, OR Slider Labels"] == "1, Yes | 0, No"
    assert by_name["hr"]["Text Validation Type OR Show Slider Number"] == "integer"
    assert by_name["weight_kg"]["Text Validation Type OR Show Slider Number"] == "number"
    assert by_name["vs_date"]["Text Validation Type OR Show Slider Number"] == "date_ymd"
    assert by_name["vs_abn_desc"]["Branching Logic (Show field only if...)"] == "[vs_abnormal] = '1'"
    assert all(r["Field Type"] in ("text", "radio", "notes") for r in rows)

    (tmp_path / "again.csv").write_text(text, encoding="utf-8")
    (again,) = _forms_from(tmp_path / "again.csv")
    assert again.fields == original.fields
    assert write_redcap_csv([again]) == text


def test_round_trip_of_the_default_dictionary(tmp_path: Path) -> None:
    # Every default form (YAML-authored too) survives export to REDCap and back.
    from celltrial.study.protocol import default_protocol_path

    forms = load_protocol(default_protocol_path()).forms
    path = tmp_path / "all.csv"
    path.write_text(write_redcap_csv(forms), encoding="utf-8")
    back = _forms_from(path)
    assert [f.name for f in back] == [f.name for f in forms]
    for a, b in zip(forms, back, strict=True):
        assert a.fields == b.fields, a.name


def test_writer_quotes_every_cell_and_uses_lf() -> None:
    text = write_redcap_csv([minimal().form("vitals")])
    assert "\r" not in text
    assert text.startswith('"Variable / Field Name","Form Name",')


def test_legacy_validation_names_and_bom(tmp_path: Path) -> None:
    header = ",".join(f'"{h}"' for h in HEADERS)
    row = '"n","f","","text","N","","","int","0","9","","","","","","","",""'
    row2 = '"d","f","","text","D","","","date","","","","","","","","","",""'
    row3 = '"x","f","","text","X","","","number_2dp","","","","","","","","","",""'
    (tmp_path / "d.csv").write_text("\ufeff" + "\n".join([header, row, row2, row3]) + "\n", encoding="utf-8")
    (form,) = _forms_from(tmp_path / "d.csv")
    assert [(f.type, f.decimals) for f in form.fields] == [("integer", None), ("date", None), ("number", 2)]
    assert form.label.en == "F"


def test_header_mismatch_is_refused(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text('"Variable / Field Name","Form Name"\n"a","b"\n', encoding="utf-8")
    _, issues = read_redcap_csv(tmp_path / "bad.csv", "bad.csv")
    (issue,) = issues
    assert issue.line == 1 and "missing 'Section Header'" in issue.message


def test_fixture_minimal_is_read_from_csv() -> None:
    assert (FIXTURES / "minimal" / "vitals.csv").is_file()
    assert [f.name for f in minimal().form("vitals").fields][:2] == ["vs_date", "weight_kg"]
