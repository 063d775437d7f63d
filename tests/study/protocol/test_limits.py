"""The reading limits, one by one, in process (test_malformed_files runs the hostile corpus in subprocesses).

Each limit is met just past its edge and, where it is cheap, just inside it, so a limit set off by one
or not enforced at all fails here. The limits are documented in docs/protocol-reference.md ("Limits").
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest

from celltrial.study.protocol import Issue, ProtocolError, load_protocol
from celltrial.study.protocol import limits as L
from celltrial.study.protocol.limits import ReadBudget
from celltrial.study.protocol.safe_files import SourceFileError, confined_path, decode_text
from celltrial.study.protocol.validate import _calc_cycles
from celltrial.study.protocol.yaml_lines import YamlReadError, read_yaml
from tests.study.protocol.protocol_testlib import FIXTURES, load_error

MINIMAL = FIXTURES / "minimal"
BOTH_PARSERS = pytest.mark.parametrize("use_libyaml", [True, False], ids=["libyaml", "pure-python"])


def _copy(tmp_path: Path, old: str = "", new: str = "") -> Path:
    text = (MINIMAL / "protocol.yaml").read_text(encoding="utf-8")
    assert old in text
    shutil.copy(MINIMAL / "vitals.csv", tmp_path / "vitals.csv")
    (tmp_path / "protocol.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path / "protocol.yaml"


def _yaml_issue(tmp_path: Path, text: str, use_libyaml: bool = True) -> Issue:
    (tmp_path / "doc.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(YamlReadError) as info:
        read_yaml(tmp_path / "doc.yaml", "doc.yaml", ReadBudget(), use_libyaml=use_libyaml)
    (issue,) = info.value.issues
    return issue


def _file_issue(data: bytes) -> Issue:
    with pytest.raises(SourceFileError) as info:
        decode_text(data, "f.yaml")
    (issue,) = info.value.issues
    return issue


# --- bytes: encoding and control characters -------------------------------------------------------


def test_utf8_bom_is_accepted_in_yaml_and_csv(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    for file in (path, tmp_path / "vitals.csv"):
        file.write_bytes(codecs.BOM_UTF8 + file.read_bytes())
    assert load_protocol(path).protocol.id == "MINI-1"


def test_invalid_utf8_names_line_and_byte_offset() -> None:
    issue = _file_issue(b"a: 1\nb: caf\xe9\n")
    assert (issue.file, issue.line) == ("f.yaml", 2)
    assert issue.message.startswith("not valid UTF-8 (byte 0xE9 at byte offset 11)")


def test_offsets_count_the_bom_and_multibyte_characters() -> None:
    issue = _file_issue(codecs.BOM_UTF8 + "a: 中\n\nb: \x1b[1m\n".encode())
    # BOM (3) + "a: 中\n" (7) + "\n" (1) + "b: " (3)
    assert issue.line == 3
    assert issue.message.startswith("ESC character U+001B at byte offset 14")


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x0b", "\x7f", "\x85", "\x9b", "\ufffe"])
def test_control_characters_are_refused(char: str) -> None:
    issue = _file_issue(f"a: 1\nb: x{char}y\n".encode())
    assert issue.line == 2 and f"U+{ord(char):04X}" in issue.message


def test_tab_cr_lf_and_ordinary_unicode_are_text() -> None:
    assert decode_text("a:\t1\r\nb: 生命体征 ™ \u00a0\n".encode(), "f.yaml") == "a:\t1\r\nb: 生命体征 ™ \u00a0\n"


@pytest.mark.parametrize(("data", "says"), [
    (codecs.BOM_UTF32_LE + "a".encode("utf-32-le"), "UTF-32"),
    ("a: 1".encode("utf-16-be"), "NUL byte"),  # no BOM: the NULs give it away
    (codecs.BOM_UTF16_BE + "a: 1".encode("utf-16-be"), "UTF-16"),
    (b"PK\x03\x04rest of a workbook", "ZIP archive"),
])
def test_other_encodings_and_archives_are_named(data: bytes, says: str) -> None:
    assert says in _file_issue(data).message


# --- files: kind, size, count ----------------------------------------------------------------------


def test_directory_is_not_a_protocol(tmp_path: Path) -> None:
    (issue,) = load_error(tmp_path).issues
    assert issue.message.startswith("not a regular file (it is a directory)")


def test_missing_include_is_reported_at_the_include(tmp_path: Path) -> None:
    path = _copy(tmp_path, "  - redcap: vitals.csv\n", "  - include: forms/nope.yaml\n  - redcap: vitals.csv\n")
    (issue,) = load_error(path).issues
    assert (Path(issue.file).name, issue.line, issue.field) == ("protocol.yaml", 58, "forms[1].include")
    assert issue.message == f"file not found: {tmp_path / 'forms' / 'nope.yaml'}"


def test_file_size_limit_is_exact(tmp_path: Path) -> None:
    # A comment fills the file: the YAML is read at once, only the size matters.
    body = b"name: f\nlabel: F\nfields: [{name: a, type: text, label: L}]\n#"
    (tmp_path / "at.yaml").write_bytes(body + b"x" * (L.MAX_FILE_BYTES - len(body) - 1) + b"\n")
    (tmp_path / "over.yaml").write_bytes(body + b"x" * (L.MAX_FILE_BYTES - len(body)) + b"\n")
    assert read_yaml(tmp_path / "at.yaml", "at.yaml")[0]["name"] == "f"
    with pytest.raises(YamlReadError) as info:
        read_yaml(tmp_path / "over.yaml", "over.yaml")
    assert "at most 2 MiB (2,097,152 bytes)" in str(info.value)


def test_total_size_limit_counts_every_included_file(tmp_path: Path) -> None:
    # Four files of 2 MiB less 4 KiB fit, with the protocol and its CSV; a fifth does not.
    form = b"name: f\nlabel: F\nfields: [{name: a, type: text, label: L}]\n# "
    fits = L.MAX_TOTAL_BYTES // L.MAX_FILE_BYTES
    for i in range(fits + 1):
        head = form.replace(b"name: f\n", f"name: f{i}\n".encode())
        (tmp_path / f"f{i}.yaml").write_bytes(head + b"x" * (L.MAX_FILE_BYTES - 4096 - len(head)) + b"\n")
    includes = "".join(f"  - include: f{i}.yaml\n" for i in range(fits + 1))
    path = _copy(tmp_path, "  - redcap: vitals.csv\n", includes + "  - redcap: vitals.csv\n")
    issues = load_error(path).issues
    assert [(Path(i.file).name, i.message.split(";")[0]) for i in issues] == [
        (f"f{fits}.yaml", "the protocol and its included files together may be at most 8 MiB")]


def test_file_count_limit(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("[]\n", encoding="utf-8")  # holds no forms: only the count matters
    includes = "".join("  - include: f.yaml\n" for _ in range(L.MAX_FILES))
    issues = load_error(_copy(tmp_path, "  - redcap: vitals.csv\n", includes + "  - redcap: vitals.csv\n")).issues
    # the protocol and 99 includes are read; the 100th include and the CSV are not
    assert [(Path(i.file).name, i.message) for i in issues] == [
        ("f.yaml", "a protocol may read at most 100 files, itself and its includes together"),
        ("vitals.csv", "a protocol may read at most 100 files, itself and its includes together")]


# --- where includes may lead -----------------------------------------------------------------------


def test_includes_inside_the_folder_are_read_however_they_are_written(tmp_path: Path) -> None:
    (tmp_path / "forms").mkdir()
    shutil.copy(MINIMAL / "vitals.csv", tmp_path / "forms" / "real.csv")
    (tmp_path / "linked.csv").symlink_to(tmp_path / "forms" / "real.csv")  # a symlink that stays inside
    path = _copy(tmp_path, "  - redcap: vitals.csv\n", "  - redcap: forms/../linked.csv\n")
    assert load_protocol(path).form("vitals").field("weight_kg").units == "kg"


@pytest.mark.parametrize(("rel", "says"), [
    ("/etc/passwd", "it is an absolute path"),
    ("C:\\protocol\\forms.yaml", "it is an absolute path"),
    ("../outside.yaml", "it leads outside the protocol's folder"),
    ("forms/../../outside.yaml", "it leads outside the protocol's folder"),
    ("a\x01b.yaml", "the path holds a control character"),
])
def test_confined_path_refuses(tmp_path: Path, rel: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        confined_path(tmp_path / "protocol", rel)


def test_refused_include_is_reported_at_its_line(tmp_path: Path) -> None:
    path = _copy(tmp_path, "  - redcap: vitals.csv\n", '  - include: "../x.yaml"\n  - redcap: "/etc/passwd"\n')
    issues = load_error(path).issues
    assert [(i.line, i.field, i.message.split(":")[0]) for i in issues] == [
        (58, "forms[1].include", "cannot include '../x.yaml'"),
        (59, "forms[2].redcap", "cannot include '/etc/passwd'"),
    ]


# --- YAML: values, aliases, depth, lengths -----------------------------------------------------------


@BOTH_PARSERS
def test_alias_bomb_is_refused_at_the_alias_that_crosses_the_limit(tmp_path: Path, use_libyaml: bool) -> None:
    # 10**k values at line k+1: the limit (200,000) falls between line 6 (100,000) and line 7.
    lines = ["l0: &l0 x"] + [f"l{k}: &l{k} [{', '.join([f'*l{k - 1}'] * 10)}]" for k in range(1, 10)]
    issue = _yaml_issue(tmp_path, "\n".join(lines) + "\n", use_libyaml)
    assert (issue.line, issue.field) == (7, "(YAML)")
    assert issue.message.startswith("this alias would expand the protocol past 200,000 values")


def test_values_limit_is_shared_by_every_file(tmp_path: Path) -> None:
    # One flow list of 110,000 items fits; the same file included twice does not, nor the CSV after it.
    (tmp_path / "big.yaml").write_text("[" + ",".join(["1"] * 110_000) + "]\n", encoding="utf-8")
    path = _copy(tmp_path, "  - redcap: vitals.csv\n", "  - include: big.yaml\n  - include: big.yaml\n"
                                                        "  - redcap: vitals.csv\n")
    issues = load_error(path).issues
    assert [(Path(i.file).name, i.line) for i in issues] == [("big.yaml", 1), ("vitals.csv", 2)]
    assert all(i.message.startswith("the protocol holds more than 200,000 values") for i in issues)


def test_csv_rows_count_against_the_values_limit(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    row = '"f","vitals","","text","F","","","","","","","","","","","","",""\n'
    rows = L.MAX_VALUES // L.CSV_ROW_VALUES + 1
    with (tmp_path / "vitals.csv").open("a", encoding="utf-8") as csv:
        csv.write(row * rows)
    issues = [i for i in load_error(path).issues if "values" in i.message]
    assert [(Path(i.file).name, i.field) for i in issues] == [("vitals.csv", "(row)")]
    assert "each data-dictionary row counts as 19" in issues[0].message


@BOTH_PARSERS
def test_alias_count_limit(tmp_path: Path, use_libyaml: bool) -> None:
    uses = "".join(f"u{i}: *a\n" for i in range(L.MAX_ALIASES))
    (tmp_path / "ok.yaml").write_text("a: &a 1\n" + uses, encoding="utf-8")
    data, _ = read_yaml(tmp_path / "ok.yaml", "ok.yaml", use_libyaml=use_libyaml)
    assert len(data) == L.MAX_ALIASES + 1
    issue = _yaml_issue(tmp_path, "a: &a 1\n" + uses + "last: *a\n", use_libyaml)
    assert (issue.line, issue.message) == (L.MAX_ALIASES + 2, "more than 1,000 aliases (*name) in one file")


@BOTH_PARSERS
@pytest.mark.parametrize("shape", ["flow-list", "flow-map", "block-list", "block-map"])
def test_nesting_limit_is_exact(tmp_path: Path, use_libyaml: bool, shape: str) -> None:
    def nested(depth: int) -> str:
        if shape == "flow-list":
            return "[" * depth + "]" * depth + "\n"
        if shape == "flow-map":
            return "{a: " * depth + "1" + "}" * depth + "\n"
        if shape == "block-list":
            return "- " * depth + "x\n"
        return "".join("  " * level + "a:\n" for level in range(depth - 1)) + "  " * (depth - 1) + "a: 1\n"

    (tmp_path / "ok.yaml").write_text(nested(L.MAX_DEPTH), encoding="utf-8")
    read_yaml(tmp_path / "ok.yaml", "ok.yaml", use_libyaml=use_libyaml)
    issue = _yaml_issue(tmp_path, nested(L.MAX_DEPTH + 1), use_libyaml)
    assert issue.message == "lists and mappings nested more than 64 levels deep"


@BOTH_PARSERS
def test_aliases_cannot_nest_past_the_depth_limit(tmp_path: Path, use_libyaml: bool) -> None:
    # Each part is 40 deep; the alias puts one inside the other: 80 levels once expanded.
    deep = "[" * 40 + "]" * 40
    issue = _yaml_issue(tmp_path, f"a: &a {deep}\nb: {'[' * 39}*a{']' * 39}\n", use_libyaml)
    assert (issue.line, issue.message) == (2, "lists and mappings nested more than 64 levels deep")


@BOTH_PARSERS
def test_self_containing_alias(tmp_path: Path, use_libyaml: bool) -> None:
    issue = _yaml_issue(tmp_path, "a: &x {b: [1, *x]}\n", use_libyaml)
    assert (issue.line, issue.message) == (1, "the alias *x refers to a value that contains it")


def test_long_value_and_long_number(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(f"a: {'x' * L.MAX_SCALAR_CHARS}\nb: {'1' * 64}\n", encoding="utf-8")
    data, _ = read_yaml(tmp_path / "ok.yaml", "ok.yaml")
    assert len(data["a"]) == L.MAX_SCALAR_CHARS and data["b"] == int("1" * 64)
    issue = _yaml_issue(tmp_path, f"a: 1\nb: '{'x' * (L.MAX_SCALAR_CHARS + 1)}'\n")
    assert (issue.line, issue.message) == (2, "a value of more than 65,536 characters")
    issue = _yaml_issue(tmp_path, "a: 1\nb: " + "1:" * 40 + "1\n")  # a base-60 number of 81 characters
    assert (issue.line, issue.field, issue.message) == (2, "b", "a number of more than 64 characters")


def test_bad_merge_and_bad_key_are_issues_not_crashes(tmp_path: Path) -> None:
    issue = _yaml_issue(tmp_path, "a: 1\nb: {<<: 1}\n")
    assert (issue.line, issue.field) == (2, "b") and "merg" in issue.message
    issue = _yaml_issue(tmp_path, "a: 1\n!!int x: 2\n")
    assert issue.line == 2 and "x" in issue.message


def test_merge_keys_and_shared_choices_still_work(tmp_path: Path) -> None:
    (tmp_path / "m.yaml").write_text("base: &b {x: 1, y: 2}\nc: {<<: *b, z: 3}\nd: [*b, *b]\n", encoding="utf-8")
    data, smap = read_yaml(tmp_path / "m.yaml", "m.yaml")
    assert data == {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 2, "z": 3}, "d": [{"x": 1, "y": 2}, {"x": 1, "y": 2}]}
    assert smap.locate(("d", 1, "y")).line == 1  # an alias's values are located where the anchor wrote them


@pytest.mark.parametrize("text", ["a: 1\n---\nb: 2\n", "a: *nowhere\n", "a: &x 1\nb: &x 2\n"])
def test_structure_errors_of_the_composer_keep_their_line(tmp_path: Path, text: str) -> None:
    issue = _yaml_issue(tmp_path, text)
    assert issue.field == "(YAML syntax)" and issue.line in (1, 2, 3)


def test_both_parsers_read_the_shipped_forms_alike() -> None:
    folder = Path(__file__).resolve().parents[3] / "src" / "celltrial" / "protocols" / "asd_hbmmsc_phase1"
    for path in sorted(folder.rglob("*.yaml")):
        fast, fast_map = read_yaml(path, path.name, use_libyaml=True)
        slow, slow_map = read_yaml(path, path.name, use_libyaml=False)
        assert fast == slow, path.name
        assert fast_map.items() == slow_map.items(), path.name


# --- values stored in database columns ------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "line", "field", "message"), [
    ('label: "1"', f'label: "{"9" * 65}"', 10, "protocol.version.label", "at most 64 characters; got 65"),
    ("  - code: S1\n", f"  - code: {'S' * 33}\n", 12, "sites[0].code", "at most 32 characters; got 33"),
    ("name: {en: Site one,", f"name: {{en: {'n' * 201},", 13, "sites[0].name.en", "at most 200 characters; got 201"),
    ("zh: 测试医生}", f"zh: {'医' * 201}}}", 16, "sites[0].principal_investigator.zh",
     "at most 200 characters; got 201"),
    ("time_zone: Asia/Shanghai", f"time_zone: Asia/{'x' * 60}", 15, "sites[0].time_zone",
     "at most 64 characters; got 65"),
    ("time_zone: Asia/Shanghai", "time_zone: ../../../etc/passwd", 15, "sites[0].time_zone",
     "unknown IANA time zone '../../../etc/passwd' (e.g. Asia/Shanghai)"),
    ("time_zone: Asia/Shanghai", "time_zone: /usr/share/zoneinfo/UTC", 15, "sites[0].time_zone",
     "unknown IANA time zone '/usr/share/zoneinfo/UTC' (e.g. Asia/Shanghai)"),
])
def test_database_bounded_values(tmp_path: Path, old: str, new: str, line: int, field: str, message: str) -> None:
    (issue,) = load_error(_copy(tmp_path, old, new)).issues
    assert (issue.line, issue.field, issue.message) == (line, field, message)


def test_bounds_allow_the_full_column(tmp_path: Path) -> None:
    path = _copy(tmp_path, 'label: "1"', f'label: "{"9" * 64}"')
    text = path.read_text(encoding="utf-8").replace("  - code: S1\n", f"  - code: {'S' * 32}\n")
    path.write_text(text.replace("name: {en: Site one,", f"name: {{en: {'n' * 200},"), encoding="utf-8")
    site = load_protocol(path).sites[0]
    assert (len(site.code), len(site.name.en)) == (32, 200)


def test_long_values_are_cut_in_messages(tmp_path: Path) -> None:
    (issue,) = load_error(_copy(tmp_path, "  - code: S1\n", f"  - code: '{'!' * 30}'\n")).issues
    assert issue.message.endswith("got '" + "!" * 30 + "'")
    (issue,) = load_error(_copy(tmp_path, "forms:\n", f"forms:\n  - [{', '.join(['1'] * 10_000)}]\n")).issues
    assert len(issue.message) < 300 and issue.message.endswith("(30,000 characters)")


# --- reports and checks that stay linear ------------------------------------------------------------------


def test_report_shows_the_first_200_issues_and_counts_the_rest() -> None:
    error = ProtocolError(Issue("p.yaml", n, "x", "bad") for n in range(1, 251))
    lines = str(error).splitlines()
    assert len(error.issues) == 250 and len(lines) == 201
    assert lines[0] == "p.yaml:1: x: bad" and lines[-1] == "... and 50 more problems"
    assert str(ProtocolError([Issue("p.yaml", 1, "x", "bad")])) == "p.yaml:1: x: bad"


def test_calc_cycles_one_finding_per_group_with_a_shortest_cycle() -> None:
    refs = {
        "a": (("a",), {"b"}), "b": (("b",), {"c", "a"}), "c": (("c",), {"a"}),  # a <-> b, and a -> b -> c -> a
        "d": (("d",), {"e"}), "e": (("e",), {"d", "x"}),  # x is not a calc
        "f": (("f",), {"a"}),  # depends on a cycle without being on one
    }
    findings = list(_calc_cycles(refs))
    assert [(f.path, f.message.split(": ")[1]) for f in findings] == [
        (("a",), "[a] -> [b] -> [a]"), (("d",), "[d] -> [e] -> [d]")]


def test_calc_cycle_check_is_linear_in_a_long_chain() -> None:
    # 20,000 calcs in one ring: the former check searched the whole ring from every calc (4 * 10**8 steps).
    n = 20_000
    refs = {f"c{i}": ((f"c{i}",), {f"c{(i + 1) % n}"}) for i in range(n)}
    (finding,) = _calc_cycles(refs)
    assert finding.path == ("c0",) and finding.message.count("->") == n
