"""Reference-range sets of a site laboratory: age- and sex-specific rows, read from CSV or YAML with
``file:line`` errors, the row that applies to a child, and the L/H flag against it.

A row applies to one analyte, one sex (``M``, ``F`` or ``*`` for both) and an age interval in years,
``age_from`` inclusive and ``age_to`` exclusive (blank: no upper bound). Limits are given in any unit the
analyte accepts and kept in its SI unit. A sex-specific row is preferred to a ``*`` row; two rows of one
analyte and sex whose age intervals overlap are refused, so the choice is never ambiguous.

CSV: ``#key: value`` lines first (``lab``, ``version``, ``title``, ``illustrative``), then a header
``analyte,sex,age_from,age_to,low,high,unit`` and one row per line. YAML: a mapping with those keys and
``rows:`` a list of mappings with the row's columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from celltrial.core.errors import InputError
from celltrial.labs.rules.panels import ANALYTES
from celltrial.labs.rules.units import UnitError, number

COLUMNS = ("analyte", "sex", "age_from", "age_to", "low", "high", "unit")
SEXES = ("M", "F", "*")
MAX_ROWS = 2000
MAX_BYTES = 1_000_000


class RangeFileError(InputError):
    """A reference-range file refused; ``problems`` are ``file:line: message`` lines."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class RangeRow:
    analyte: str
    sex: str
    age_from: Decimal
    age_to: Decimal | None
    low: Decimal | None  # SI
    high: Decimal | None  # SI
    line: int = 0

    def covers(self, age: Decimal) -> bool:
        return self.age_from <= age and (self.age_to is None or age < self.age_to)


@dataclass(frozen=True)
class RangeSetData:
    lab: str
    version: str
    title: str
    illustrative: bool
    rows: tuple[RangeRow, ...]


def flag(value: Decimal, low: Decimal | None, high: Decimal | None) -> str:
    """"L" below the lower limit, "H" above the upper one, "" inside (a value on a limit is inside)."""
    if low is not None and value < low:
        return "L"
    if high is not None and value > high:
        return "H"
    return ""


def select_row(rows: Iterable[RangeRow], analyte: str, sex: str, age_years: Decimal) -> RangeRow | None:
    """The row for this analyte, sex and age: the sex-specific one if any, else the ``*`` one."""
    matching = [r for r in rows if r.analyte == analyte and r.covers(age_years) and r.sex in (sex, "*")]
    matching.sort(key=lambda r: r.sex == "*")
    return matching[0] if matching else None


def _bool(text: str) -> bool:
    return text.strip().lower() in ("1", "true", "yes", "y")


def _row(values: dict[str, str], where: str, line: int, problems: list[str]) -> RangeRow | None:
    before = len(problems)
    code = (values.get("analyte") or "").strip().upper()
    found = ANALYTES.get(code)
    if found is None:
        problems.append(f"{where}:{line}: unknown analyte {values.get('analyte', '')!r}; use one of: "
                        + ", ".join(ANALYTES))
        return None
    sex = (values.get("sex") or "*").strip().upper()
    if sex not in SEXES:
        problems.append(f"{where}:{line}: sex {sex!r}: use M, F or * (both)")

    def num(name: str, *, required: bool = False) -> Decimal | None:
        text = (values.get(name) or "").strip()
        if not text:
            if required:
                problems.append(f"{where}:{line}: {name} is required")
            return None
        try:
            return number(text, name)
        except UnitError as exc:
            problems.append(f"{where}:{line}: {exc}")
            return None

    age_from, age_to = num("age_from", required=True), num("age_to")
    low, high = num("low"), num("high")
    unit = (values.get("unit") or "").strip()
    try:
        low = None if low is None else found.to_si(low, unit)
        high = None if high is None else found.to_si(high, unit)
    except UnitError as exc:
        problems.append(f"{where}:{line}: {code}: {exc}")
    if low is None and high is None and len(problems) == before:
        problems.append(f"{where}:{line}: give low, high or both")
    if low is not None and high is not None and low >= high:
        problems.append(f"{where}:{line}: low must be below high")
    if age_from is not None and age_from < 0:
        problems.append(f"{where}:{line}: age_from must not be negative")
    if age_from is not None and age_to is not None and age_to <= age_from:
        problems.append(f"{where}:{line}: age_to must be above age_from")
    if len(problems) > before or age_from is None:
        return None
    return RangeRow(code, sex, age_from, age_to, low, high, line)


def _overlaps(rows: list[RangeRow], where: str, problems: list[str]) -> None:
    for i, a in enumerate(rows):
        for b in rows[:i]:
            if a.analyte != b.analyte or a.sex != b.sex:
                continue
            a_end = a.age_to if a.age_to is not None else Decimal("Infinity")
            b_end = b.age_to if b.age_to is not None else Decimal("Infinity")
            if a.age_from < b_end and b.age_from < a_end:
                problems.append(f"{where}:{a.line}: {a.analyte} ({a.sex}) overlaps the ages of line {b.line}")


def _finish(meta: dict[str, str], rows: list[RangeRow], where: str, problems: list[str],
            meta_line: dict[str, int]) -> RangeSetData:
    for key in ("lab", "version"):
        if not (meta.get(key) or "").strip():
            problems.append(f"{where}:{meta_line.get(key, 1)}: '{key}' is required")
    for key, limit in (("lab", 200), ("version", 40), ("title", 200)):
        if len((meta.get(key) or "").strip()) > limit:
            problems.append(f"{where}:{meta_line.get(key, 1)}: '{key}' is longer than {limit} characters")
    if not rows and not problems:
        problems.append(f"{where}:1: no rows")
    _overlaps(rows, where, problems)
    if problems:
        raise RangeFileError(problems)
    return RangeSetData(lab=meta["lab"].strip(), version=meta["version"].strip(), title=(meta.get("title") or "").strip(),
                        illustrative=_bool(meta.get("illustrative", "")), rows=tuple(rows))


def _parse_csv(text: str, where: str) -> RangeSetData:
    meta: dict[str, str] = {}
    meta_line: dict[str, int] = {}
    problems: list[str] = []
    lines = text.splitlines()
    start = 0
    for start, raw in enumerate(lines):
        stripped = raw.strip()
        if not stripped:
            continue
        if not stripped.startswith("#"):
            break
        key, sep, value = stripped[1:].partition(":")
        if sep:
            meta[key.strip().lower()] = value.strip()
            meta_line[key.strip().lower()] = start + 1
    else:
        start = len(lines)
    reader = csv.reader(io.StringIO("\n".join(lines[start:])))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.append(f"{where}:{start + 1}: header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})")
        raise RangeFileError(problems)
    rows: list[RangeRow] = []
    for offset, cells in enumerate(reader, start=start + 2):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if len(cells) > len(header):
            problems.append(f"{where}:{offset}: {len(cells)} cells, the header has {len(header)}")
            continue
        row = _row(dict(zip(header, cells, strict=False)), where, offset, problems)
        if row is not None:
            rows.append(row)
        if len(rows) > MAX_ROWS:
            raise RangeFileError([f"{where}:{offset}: more than {MAX_ROWS} rows"])
    return _finish(meta, rows, where, problems, meta_line)


def _parse_yaml(text: str, where: str) -> RangeSetData:
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise RangeFileError([f"{where}:{line}: not valid YAML ({getattr(exc, 'problem', exc)})"]) from None
    if not isinstance(root, yaml.MappingNode):
        raise RangeFileError([f"{where}:1: expected a mapping with lab, version and rows"])
    meta: dict[str, str] = {}
    meta_line: dict[str, int] = {}
    rows_node = None
    problems: list[str] = []
    for key_node, value_node in root.value:
        key = str(key_node.value).strip().lower()
        if key == "rows":
            rows_node = value_node
        elif isinstance(value_node, yaml.ScalarNode):
            meta[key] = str(value_node.value)
            meta_line[key] = key_node.start_mark.line + 1
    rows: list[RangeRow] = []
    if not isinstance(rows_node, yaml.SequenceNode):
        problems.append(f"{where}:{root.start_mark.line + 1}: 'rows' must be a list of rows")
        raise RangeFileError(problems)
    if len(rows_node.value) > MAX_ROWS:
        raise RangeFileError([f"{where}:{rows_node.start_mark.line + 1}: more than {MAX_ROWS} rows"])
    for item in rows_node.value:
        line = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            problems.append(f"{where}:{line}: a row must be a mapping of {', '.join(COLUMNS)}")
            continue
        values: dict[str, str] = {}
        for k, v in item.value:
            if not isinstance(v, yaml.ScalarNode):
                problems.append(f"{where}:{v.start_mark.line + 1}: {k.value}: expected a single value")
                continue
            values[str(k.value).strip().lower()] = "" if v.tag.endswith(":null") else str(v.value)
        unknown = sorted(set(values) - set(COLUMNS))
        if unknown:
            problems.append(f"{where}:{line}: unknown column {', '.join(unknown)}")
            continue
        row = _row(values, where, line, problems)
        if row is not None:
            rows.append(row)
    return _finish(meta, rows, where, problems, meta_line)


def parse_range_file(content: bytes | str, name: str) -> RangeSetData:
    """Read a reference-range set from CSV (``.csv``) or YAML (``.yaml``/``.yml``); RangeFileError lists
    every problem as ``name:line: message``."""
    if isinstance(content, bytes):
        if len(content) > MAX_BYTES:
            raise RangeFileError([f"{name}:1: the file is larger than {MAX_BYTES // 1000} kB"])
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RangeFileError([f"{name}:1: not UTF-8 text"]) from None
    else:
        text = content
    if "\x00" in text:
        raise RangeFileError([f"{name}:1: the file contains NUL characters"])
    lower = name.lower()
    if lower.endswith(".csv"):
        return _parse_csv(text, name)
    if lower.endswith((".yaml", ".yml")):
        return _parse_yaml(text, name)
    raise RangeFileError([f"{name}:1: give a .csv, .yaml or .yml file"])
