"""REDCap data-dictionary CSV <-> celltrial forms.

Reading turns each CSV row into the raw field mapping the schema validates,
recording the row line and column header of every value so that schema errors
point at the cell to fix. Writing produces the standard 18-column dictionary.

Chinese text has no column in REDCap's dictionary; it travels in the Field
Annotation as celltrial action tags (REDCap ignores unknown tags):
`@LANG-ZH-LABEL="…"`, `@LANG-ZH-CHOICES="1, 是 | 0, 否"`, `@LANG-ZH-NOTE="…"`,
`@LANG-ZH-SECTION="…"`, plus `@UNITS="mmHg"` for the unit of a value.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celltrial.study.protocol.errors import Issue, Path_
from celltrial.study.protocol.limits import CSV_ROW_VALUES, MAX_SCALAR_CHARS, MAX_VALUES, ReadBudget
from celltrial.study.protocol.safe_files import SourceFileError, read_source_text
from celltrial.study.protocol.schema import Form, FormField
from celltrial.study.protocol.sourcemap import Origin, SourceMap

HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)
(C_NAME, C_FORM, C_SECTION, C_TYPE, C_LABEL, C_CHOICES, C_NOTE, C_VALIDATION, C_MIN, C_MAX, C_IDENT,
 C_BRANCHING, C_REQUIRED, C_ALIGN, C_QNUM, C_MATRIX, C_RANKING, C_ANNOTATION) = HEADERS

# Which CSV column an error on a schema attribute should point at.
COLUMN_OF_ATTRIBUTE = {
    "name": C_NAME, "type": C_TYPE, "label": C_LABEL, "choices": C_CHOICES, "calc": C_CHOICES,
    "note": C_NOTE, "section_header": C_SECTION, "validation": C_VALIDATION, "decimals": C_VALIDATION,
    "min": C_MIN, "max": C_MAX, "identifier": C_IDENT, "branching": C_BRANCHING, "required": C_REQUIRED,
    "alignment": C_ALIGN, "question_number": C_QNUM, "matrix_group": C_MATRIX, "annotation": C_ANNOTATION,
    "units": C_ANNOTATION,
}

_ZH_TAGS = {"LANG-ZH-LABEL": "label", "LANG-ZH-CHOICES": "choices", "LANG-ZH-NOTE": "note",
            "LANG-ZH-SECTION": "section_header"}
_TAG_RE = re.compile(r"""\s*@(LANG-ZH-LABEL|LANG-ZH-CHOICES|LANG-ZH-NOTE|LANG-ZH-SECTION|UNITS)=(?:"([^"]*)"|'([^']*)')""")
_NUMBER_DP = re.compile(r"^number_([1-4])dp(?:_comma_decimal)?$")
_PLAIN_TYPES = {"notes": "notes", "textarea": "notes", "radio": "radio", "dropdown": "dropdown",
                "select": "dropdown", "checkbox": "checkbox", "calc": "calc", "yesno": "yesno",
                "descriptive": "descriptive"}
_UNSUPPORTED = {"file", "slider", "sql"}


@dataclass
class CsvForm:
    """One form read from a dictionary CSV, before schema validation."""

    data: dict[str, Any]
    source: SourceMap
    first_line: int
    rows: list[int] = field(default_factory=list)
    # problems found while reading, as (path inside this form, message); the loader adds file and line
    problems: list[tuple[Path_, str]] = field(default_factory=list)


def read_redcap_csv(path: Path, display_name: str,
                    budget: ReadBudget | None = None) -> tuple[list[CsvForm], list[Issue]]:
    """Read a REDCap data dictionary; forms in file order, and the problems found (file, row line, column).

    `budget` is shared by the files of one protocol (a fresh one when not given).
    """
    budget = budget if budget is not None else ReadBudget()
    try:
        text = read_source_text(path, display_name, budget)  # strict UTF-8; REDCap's BOM is accepted
    except SourceFileError as exc:
        return [], exc.issues
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _read_rows(reader, display_name, budget)
    except csv.Error as exc:
        # The csv module's own limits: a cell over 131,072 characters, a quote left open at the end.
        line = reader.line_num or 1
        message = (f"a cell of more than {MAX_SCALAR_CHARS:,} characters" if "field limit" in str(exc)
                   else f"cannot read the CSV: {exc}")
        return [], [Issue(display_name, line, "(row)", message)]


def _read_rows(reader: Any, display_name: str, budget: ReadBudget) -> tuple[list[CsvForm], list[Issue]]:
    issues: list[Issue] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [Issue(display_name, 1, "(header)", "the file is empty")]
    got = [h.strip() for h in header]
    if [h.lower() for h in got] != [h.lower() for h in HEADERS]:
        missing = [h for h in HEADERS if h.lower() not in {g.lower() for g in got}]
        extra = [g for g in got if g.lower() not in {h.lower() for h in HEADERS}]
        detail = "; ".join(
            part for part in (
                f"missing {', '.join(repr(m) for m in missing)}" if missing else "",
                f"unexpected {', '.join(repr(e) for e in extra)}" if extra else "",
                "columns out of order" if not missing and not extra else "",
            ) if part
        )
        return [], [Issue(display_name, 1, "(header)",
                          f"not a REDCap data dictionary: the 18 standard columns are required ({detail})")]

    forms: dict[str, CsvForm] = {}
    last_form: str | None = None
    previous_end = reader.line_num
    for row in reader:
        line = previous_end + 1  # a quoted cell may span lines: report the line the row starts on
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        budget.values_left -= CSV_ROW_VALUES
        if budget.values_left < 0:
            issues.append(Issue(display_name, line, "(row)", f"the protocol holds more than {MAX_VALUES:,} values "
                                f"(each data-dictionary row counts as {CSV_ROW_VALUES})"))
            break
        if len(row) != len(HEADERS):
            issues.append(Issue(display_name, line, "(row)", f"expected {len(HEADERS)} columns, found {len(row)}"))
            continue
        long_cell = next((h for h, c in zip(HEADERS, row, strict=True) if len(c) > MAX_SCALAR_CHARS), None)
        if long_cell:
            issues.append(Issue(display_name, line, row[0].strip()[:100] or "(row)", f"a cell of more than {MAX_SCALAR_CHARS:,} "
                                "characters", csv_column=long_cell))
            continue
        cells = dict(zip(HEADERS, (c.strip() for c in row), strict=True))
        form_name = cells[C_FORM]
        if not form_name:
            issues.append(Issue(display_name, line, cells[C_NAME] or "(row)", "empty form name",
                                csv_column=C_FORM))
            continue
        if form_name not in forms:
            fsrc = SourceMap(display_name)
            fsrc.add((), Origin(display_name, line))
            fsrc.add(("name",), Origin(display_name, line, C_FORM))
            forms[form_name] = CsvForm({"name": form_name, "label": _default_form_label(form_name),
                                        "fields": []}, fsrc, line)
        elif form_name != last_form:
            issues.append(Issue(display_name, line, cells[C_NAME] or "(row)",
                                f"the rows of form {form_name!r} must be contiguous", csv_column=C_FORM))
        last_form = form_name
        form = forms[form_name]
        index = len(form.data["fields"])
        base = ("fields", index)
        form.source.add(base, Origin(display_name, line))
        for attr, column in COLUMN_OF_ATTRIBUTE.items():
            form.source.add((*base, attr), Origin(display_name, line, column))
        field_data, row_issues = _row_to_field(cells)
        form.problems.extend(((*base, attr), message) for attr, message in row_issues)
        form.data["fields"].append(field_data)
        form.rows.append(line)
    return list(forms.values()), issues


def _default_form_label(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def _split_tags(annotation: str) -> tuple[dict[str, str], str | None]:
    tags: dict[str, str] = {}

    def take(match: re.Match[str]) -> str:
        tags[match.group(1)] = match.group(2) if match.group(2) is not None else match.group(3)
        return ""

    rest = " ".join(_TAG_RE.sub(take, annotation).split())
    return tags, rest or None


def parse_choices(source: str) -> list[tuple[str, str]]:
    """`1, Yes | 0, No` -> [("1", "Yes"), ("0", "No")]; raises ValueError naming the bad part."""
    out = []
    for part in source.split("|"):
        part = part.strip()
        if not part:
            continue
        code, comma, label = part.partition(",")
        if not comma or not code.strip() or not label.strip():
            raise ValueError(f"choice {part!r} must be written as 'code, label' (choices separated by |)")
        out.append((code.strip(), label.strip()))
    if not out:
        raise ValueError("no choices given; write them as '1, Yes | 0, No'")
    return out


def _number_or_text(value: str) -> float | str:
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number


def _row_to_field(cells: dict[str, str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    tags, rest = _split_tags(cells[C_ANNOTATION])
    raw_type = cells[C_TYPE].lower()
    validation = cells[C_VALIDATION].lower() or None
    data: dict[str, Any] = {"name": cells[C_NAME]}

    ftype: str | None
    if raw_type == "text":
        ftype, validation, decimals = _text_type(validation)
        if decimals is not None:
            data["decimals"] = decimals
    elif raw_type == "truefalse":
        ftype = "radio"
        data["choices"] = [{"code": "1", "label": {"en": "True", "zh": "是"}},
                           {"code": "0", "label": {"en": "False", "zh": "否"}}]
    elif raw_type in _PLAIN_TYPES:
        ftype = _PLAIN_TYPES[raw_type]
    elif raw_type in _UNSUPPORTED:
        ftype = None
        problems.append(("type", f"field type {raw_type!r} is not supported by celltrial"))
    else:
        ftype = raw_type or None
        problems.append(("type", f"unknown field type {cells[C_TYPE]!r}; expected one of "
                                 "text, notes, dropdown, radio, checkbox, calc, yesno, truefalse, descriptive"))
    data["type"] = ftype
    if validation:
        data["validation"] = validation

    data["label"] = _text(cells[C_LABEL], tags.get("LANG-ZH-LABEL"))
    if cells[C_NOTE]:
        data["note"] = _text(cells[C_NOTE], tags.get("LANG-ZH-NOTE"))
    if cells[C_SECTION]:
        data["section_header"] = _text(cells[C_SECTION], tags.get("LANG-ZH-SECTION"))
    if "UNITS" in tags:
        data["units"] = tags["UNITS"]

    source = cells[C_CHOICES]
    if ftype == "calc":
        data["calc"] = source or None
    elif ftype in ("radio", "dropdown", "checkbox") and raw_type != "truefalse":
        try:
            pairs = parse_choices(source)
            zh = dict(parse_choices(tags["LANG-ZH-CHOICES"])) if "LANG-ZH-CHOICES" in tags else {}
        except ValueError as exc:
            problems.append(("choices", str(exc)))
        else:
            unknown = sorted(set(zh) - {code for code, _ in pairs})
            if unknown:
                problems.append(("annotation", f"@LANG-ZH-CHOICES names codes not in the choices: {', '.join(unknown)}"))
            data["choices"] = [{"code": code, "label": _text(label, zh.get(code))} for code, label in pairs]
    elif source:
        problems.append(("choices", f"a {raw_type} field takes no choices or calculation"))

    for attr, column in (("min", C_MIN), ("max", C_MAX)):
        if cells[column]:
            data[attr] = _number_or_text(cells[column]) if ftype in ("integer", "number") else cells[column]
    for attr, column in (("required", C_REQUIRED), ("identifier", C_IDENT)):
        flag = cells[column].lower()
        if flag not in ("", "y", "n"):
            problems.append((attr, f"must be 'y' or empty, not {cells[column]!r}"))
        data[attr] = flag == "y"
    for attr, column in (("branching", C_BRANCHING), ("question_number", C_QNUM), ("matrix_group", C_MATRIX)):
        if cells[column]:
            data[attr] = cells[column]
    if cells[C_ALIGN]:
        data["alignment"] = cells[C_ALIGN].upper()
    if rest:
        data["annotation"] = rest
    return data, problems


def _text_type(validation: str | None) -> tuple[str, str | None, int | None]:
    """Map a REDCap text validation to (celltrial type, validation kept for round trip, decimals)."""
    if validation in ("integer", "int"):
        return "integer", None, None
    if validation in ("number", "float"):
        return "number", None, None
    if validation and (m := _NUMBER_DP.match(validation)):
        return "number", (validation if validation.endswith("_comma_decimal") else None), int(m.group(1))
    if validation == "number_comma_decimal":
        return "number", validation, None
    if validation in ("date_ymd", "date"):
        return "date", None, None
    if validation and validation.startswith("date_"):
        return "date", validation, None
    if validation in ("datetime_ymd",):
        return "datetime", None, None
    if validation and validation.startswith("datetime_"):
        return "datetime", validation, None
    return "text", validation, None


def _text(en: str, zh: str | None) -> dict[str, str] | str:
    return {"en": en, "zh": zh} if zh else en


# --- writing ------------------------------------------------------------------------------------


def write_redcap_csv(forms: Iterable[Form]) -> str:
    """The forms as a REDCap data dictionary (18 columns, all cells quoted, LF line ends, no BOM)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(HEADERS)
    for form in forms:
        for f in form.fields:
            writer.writerow(_field_to_row(form.name, f))
    return buffer.getvalue()


def _field_to_row(form_name: str, f: FormField) -> list[str]:
    rtype, validation = _redcap_type(f)
    tags: list[str] = []
    if f.label.zh:
        tags.append(f'@LANG-ZH-LABEL="{f.label.zh}"')
    if f.choices and any(c.label.zh for c in f.choices):
        zh = " | ".join(f"{c.code}, {c.label.zh}" for c in f.choices if c.label.zh)
        tags.append(f'@LANG-ZH-CHOICES="{zh}"')
    if f.note and f.note.zh:
        tags.append(f'@LANG-ZH-NOTE="{f.note.zh}"')
    if f.section_header and f.section_header.zh:
        tags.append(f'@LANG-ZH-SECTION="{f.section_header.zh}"')
    if f.units:
        tags.append(f'@UNITS="{f.units}"')
    if f.annotation:
        tags.append(f.annotation)
    if f.type == "calc":
        choices = f.calc or ""
    elif f.choices and f.type != "yesno":
        choices = " | ".join(f"{c.code}, {c.label.en}" for c in f.choices)
    else:
        choices = ""
    cells = {
        C_NAME: f.name, C_FORM: form_name, C_SECTION: f.section_header.en if f.section_header else "",
        C_TYPE: rtype, C_LABEL: f.label.en, C_CHOICES: choices, C_NOTE: f.note.en if f.note else "",
        C_VALIDATION: validation, C_MIN: _fmt(f.min), C_MAX: _fmt(f.max), C_IDENT: "y" if f.identifier else "",
        C_BRANCHING: f.branching or "", C_REQUIRED: "y" if f.required else "", C_ALIGN: f.alignment or "",
        C_QNUM: f.question_number or "", C_MATRIX: f.matrix_group or "", C_RANKING: "",
        C_ANNOTATION: " ".join(tags),
    }
    return [cells[h] for h in HEADERS]


def _redcap_type(f: FormField) -> tuple[str, str]:
    if f.type == "integer":
        return "text", "integer"
    if f.type == "number":
        if f.validation:
            return "text", f.validation
        return "text", f"number_{f.decimals}dp" if f.decimals else "number"
    if f.type == "date":
        return "text", f.validation or "date_ymd"
    if f.type == "datetime":
        return "text", f.validation or "datetime_ymd"
    return f.type, f.validation or ""


def _fmt(value: float | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
