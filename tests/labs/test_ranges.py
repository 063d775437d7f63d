"""Reference-range files (CSV and YAML, file:line errors), the row chosen by age and sex, and L/H flags."""

from __future__ import annotations

from decimal import Decimal

import pytest

from celltrial.labs.rules import RangeFileError, flag, parse_range_file, select_row

CSV = """# lab: Test hospital laboratory
# version: 2025.2
# illustrative: yes
analyte,sex,age_from,age_to,low,high,unit
HB,*,6,12,115,155,g/L
HB,M,12,18,13.0,16.0,g/dL
HB,F,12,18,120,160,g/L
CREAT,*,6,12,0.31,0.70,mg/dL
ALT,*,6,,5,40,U/L
"""


def test_csv_rows_are_stored_in_si_with_their_line_numbers():
    data = parse_range_file(CSV, "ranges.csv")
    assert (data.lab, data.version, data.illustrative) == ("Test hospital laboratory", "2025.2", True)
    hb_male = next(r for r in data.rows if r.analyte == "HB" and r.sex == "M")
    assert (hb_male.low, hb_male.high, hb_male.line) == (Decimal("130.0"), Decimal("160.0"), 6)  # g/dL × 10
    creat = next(r for r in data.rows if r.analyte == "CREAT")
    assert creat.high == Decimal("0.70") * Decimal("88.4")
    assert next(r for r in data.rows if r.analyte == "ALT").age_to is None


@pytest.mark.parametrize(("sex", "age", "expected"), [
    ("M", "8", (Decimal(115), Decimal(155))),     # the * row below 12 years
    ("M", "12", (Decimal(130), Decimal(160))),    # age_from is inclusive: 12 years takes the 12–18 row
    ("F", "12", (Decimal(120), Decimal(160))),    # the female row
    ("F", "11.99", (Decimal(115), Decimal(155))),
])
def test_the_row_is_chosen_by_age_and_sex(sex, age, expected):
    rows = parse_range_file(CSV, "ranges.csv").rows
    row = select_row(rows, "HB", sex, Decimal(age))
    assert row is not None and (row.low, row.high) == expected


def test_no_row_outside_every_age_interval():
    rows = parse_range_file(CSV, "ranges.csv").rows
    assert select_row(rows, "HB", "M", Decimal(18)) is None  # age_to is exclusive
    assert select_row(rows, "HB", "M", Decimal(5)) is None


def test_a_sex_specific_row_wins_over_a_both_sexes_row():
    text = "# lab: L\n# version: 1\nanalyte,sex,age_from,age_to,low,high,unit\nCREAT,*,0,18,27,62,umol/L\nCREAT,M,12,18,44,88,umol/L\n"
    rows = parse_range_file(text, "r.csv").rows
    assert select_row(rows, "CREAT", "M", Decimal(13)).high == Decimal(88)
    assert select_row(rows, "CREAT", "F", Decimal(13)).high == Decimal(62)


def test_flags_are_strictly_outside_the_limits():
    low, high = Decimal(5), Decimal(40)
    assert [flag(Decimal(v), low, high) for v in ("4.9", "5", "40", "40.1")] == ["L", "", "", "H"]
    assert flag(Decimal(1000), None, Decimal(40)) == "H" and flag(Decimal(0), None, Decimal(40)) == ""


def test_csv_errors_name_the_file_and_line():
    text = ("# lab: L\n# version: 1\nanalyte,sex,age_from,age_to,low,high,unit\n"
            "XYZ,*,0,18,1,2,U/L\n"          # line 4: unknown analyte
            "ALT,Q,0,18,5,40,U/L\n"         # line 5: bad sex
            "ALT,*,0,18,40,5,U/L\n"         # line 6: low above high
            "CREAT,*,0,18,27,62,mmol/L\n"   # line 7: a unit creatinine does not take
            "ALT,*,6,12,,,U/L\n")           # line 8: no limit
    with pytest.raises(RangeFileError) as refused:
        parse_range_file(text, "bad.csv")
    problems = refused.value.problems
    assert [p.split(":")[1] for p in problems] == ["4", "5", "6", "7", "8"]
    assert all(p.startswith("bad.csv:") for p in problems)


def test_overlapping_ages_of_one_analyte_and_sex_are_refused():
    text = "# lab: L\n# version: 1\nanalyte,sex,age_from,age_to,low,high,unit\nALT,*,6,12,5,40,U/L\nALT,*,10,18,5,45,U/L\n"
    with pytest.raises(RangeFileError, match=r"r.csv:5: ALT \(\*\) overlaps the ages of line 4"):
        parse_range_file(text, "r.csv")


def test_yaml_errors_carry_the_line_of_the_row():
    text = "lab: L\nversion: '1'\nrows:\n  - {analyte: ALT, sex: '*', age_from: 6, age_to: 18, low: 5, high: 40, unit: U/L}\n" \
           "  - {analyte: AST, sex: '*', age_from: 6, age_to: 18, low: 10, high: 40, unit: mg/dL}\n"
    with pytest.raises(RangeFileError, match=r"^r.yaml:5: AST: unit 'mg/dL'"):
        parse_range_file(text, "r.yaml")
    good = parse_range_file(text.replace("mg/dL", "U/L"), "r.yaml")
    assert [r.line for r in good.rows] == [4, 5]


def test_missing_metadata_broken_yaml_and_other_formats_are_refused():
    with pytest.raises(RangeFileError, match="'version' is required"):
        parse_range_file("# lab: L\nanalyte,sex,age_from,age_to,low,high,unit\nALT,*,6,18,5,40,U/L\n", "r.csv")
    with pytest.raises(RangeFileError, match=r"r.yaml:\d+: not valid YAML"):
        parse_range_file("lab: [unclosed\n", "r.yaml")
    with pytest.raises(RangeFileError, match="header lacks"):
        parse_range_file("# lab: L\n# version: 1\nanalyte,low\nALT,5\n", "r.csv")
    with pytest.raises(RangeFileError, match=r"\.csv, \.yaml"):
        parse_range_file("x", "r.txt")
    with pytest.raises(RangeFileError, match="not UTF-8"):
        parse_range_file(b"\xff\xfe\x00", "r.csv")


def test_the_shipped_illustrative_set_reads_and_covers_every_analyte_from_6_to_17():
    from celltrial.labs.demo import RANGES_FILE
    from celltrial.labs.rules import ANALYTES

    data = parse_range_file(RANGES_FILE.read_bytes(), RANGES_FILE.name)
    assert data.illustrative and "ILLUSTRATIVE" in data.title
    for code in ANALYTES:
        for sex in ("M", "F"):
            for age in range(6, 18):
                assert select_row(data.rows, code, sex, Decimal(age)) is not None, (code, sex, age)
