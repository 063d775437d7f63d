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
import json
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
_CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")  # a choice code (the schema's Choice.code)
_NUMBER_DP = re.compile(r"^number_([1-4])dp(?:_comma_decimal)?$")
_PLAIN_TYPES = {"notes": "notes", "textarea": "notes", "radio": "radio", "dropdown": "dropdown",
                "select": "dropdown", "checkbox": "checkbox", "calc": "calc", "yesno": "yesno",
                "descriptive": "descriptive"}


@dataclass
class CsvForm:
    """One form read from a dictionary CSV, before schema validation."""

    data: dict[str, Any]
    source: SourceMap
    first_line: int
    rows: list[int] = field(default_factory=list)
    # problems found while reading, as (path inside this form, message); the loader adds file and line
    problems: list[tuple[Path_, str]] = field(default_factory=list)
    # what loads with a fallback, as (path inside this form, message, fallback)
    warnings: list[tuple[Path_, str, str]] = field(default_factory=list)


# API / JSON metadata keys, in the order of HEADERS (REDCap's MetaData::getDataDictionaryHeaders).
API_KEYS = (
    "field_name", "form_name", "section_header", "field_type", "field_label", "select_choices_or_calculations",
    "field_note", "text_validation_type_or_show_slider_number", "text_validation_min", "text_validation_max",
    "identifier", "branching_logic", "required_field", "custom_alignment", "question_number",
    "matrix_group_name", "matrix_ranking", "field_annotation",
)
# Older REDCap versions wrote other words for a few columns, and fewer columns: "Matrix Ranking?"
# (REDCap 5.x) and "Field Annotation" (6.5) came last. Lower-case header -> our column.
_HEADER_ALIASES: dict[str, str] = {
    **{h.lower(): h for h in HEADERS},
    **{k: h for k, h in zip(API_KEYS, HEADERS, strict=True)},
    "choices or calculations": C_CHOICES,
    "choices, calculations, or slider labels": C_CHOICES,
    "text validation type": C_VALIDATION,
    "branching logic (show field only if...)": C_BRANCHING,
    "required field": C_REQUIRED,
    "identifier": C_IDENT,
    "matrix ranking": C_RANKING,
    "field annotations": C_ANNOTATION,
}
_REQUIRED_COLUMNS = HEADERS[:4]  # name, form, section header, type: without them it is not a dictionary


def read_redcap_file(path: Path, display_name: str,
                     budget: ReadBudget | None = None) -> tuple[list[CsvForm], list[Issue]]:
    """A data dictionary as REDCap writes it: CSV (either header style) or the API's JSON metadata."""
    if path.suffix.lower() == ".json":
        return read_redcap_json(path, display_name, budget)
    return read_redcap_csv(path, display_name, budget)


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


def _columns(header: list[str], display_name: str) -> tuple[list[str | None], list[Issue]]:
    """The column of each header cell (None: a column REDCap does not write, ignored)."""
    got = [h.strip().lstrip("\ufeff").strip() for h in header]
    columns = [_HEADER_ALIASES.get(g.lower()) for g in got]
    known = [c for c in columns if c]
    missing = [h for h in _REQUIRED_COLUMNS if h not in known]
    twice = sorted({c for c in known if known.count(c) > 1})
    if missing or twice or len(known) < 5:
        detail = "; ".join(part for part in (
            f"missing {', '.join(repr(m) for m in missing)}" if missing else "",
            f"{', '.join(repr(t) for t in twice)} given twice" if twice else "",
        ) if part) or "too few of its columns"
        return [], [Issue(display_name, 1, "(header)", "not a REDCap data dictionary: the header needs REDCap's "
                          f"columns ('Variable / Field Name', 'Form Name', … or field_name, form_name, …) ({detail})")]
    return columns, []


def _read_rows(reader: Any, display_name: str, budget: ReadBudget) -> tuple[list[CsvForm], list[Issue]]:
    try:
        header = next(reader)
    except StopIteration:
        return [], [Issue(display_name, 1, "(header)", "the file is empty")]
    columns, issues = _columns(header, display_name)
    if issues:
        return [], issues
    collector = _Collector(display_name)
    previous_end = reader.line_num
    for row in reader:
        line = previous_end + 1  # a quoted cell may span lines: report the line the row starts on
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        budget.values_left -= CSV_ROW_VALUES
        if budget.values_left < 0:
            collector.issues.append(Issue(display_name, line, "(row)", f"the protocol holds more than "
                                          f"{MAX_VALUES:,} values (each data-dictionary row counts as {CSV_ROW_VALUES})"))
            break
        if len(row) > len(columns) and any(cell.strip() for cell in row[len(columns):]):
            collector.issues.append(Issue(display_name, line, "(row)",
                                          f"expected {len(columns)} columns, found {len(row)}"))
            continue
        long_cell = next((c for c, cell in zip(columns, row, strict=False) if len(cell) > MAX_SCALAR_CHARS), None)
        if long_cell is not None or any(len(cell) > MAX_SCALAR_CHARS for cell in row):
            collector.issues.append(Issue(display_name, line, row[0].strip()[:100] or "(row)",
                                          f"a cell of more than {MAX_SCALAR_CHARS:,} characters",
                                          csv_column=long_cell))
            continue
        cells = dict.fromkeys(HEADERS, "")
        for column, cell in zip(columns, row, strict=False):  # a short row: REDCap reads the rest as empty
            if column:
                cells[column] = cell.strip()
        collector.row(cells, line)
    return collector.forms(), collector.issues


def read_redcap_json(path: Path, display_name: str,
                     budget: ReadBudget | None = None) -> tuple[list[CsvForm], list[Issue]]:
    """The REDCap API's metadata export (`content=metadata&format=json`): a list of objects keyed by
    field_name, form_name, … Each object is reported at the line it starts on."""
    budget = budget if budget is not None else ReadBudget()
    try:
        text = read_source_text(path, display_name, budget)
    except SourceFileError as exc:
        return [], exc.issues
    decoder = json.JSONDecoder()
    i = _skip_space(text, 0)
    if i >= len(text) or text[i] != "[":
        return [], [Issue(display_name, _line_at(text, i), "(top level)",
                          "not REDCap API metadata: expected a JSON list of field objects")]
    collector = _Collector(display_name)
    i = _skip_space(text, i + 1)
    first = True
    while True:
        if i < len(text) and text[i] == "]":
            break
        if not first:
            if i >= len(text) or text[i] != ",":
                return [], [Issue(display_name, _line_at(text, i), "(top level)", "cannot read the JSON: expected "
                                  "',' or ']' between field objects")]
            i = _skip_space(text, i + 1)
        first = False
        line = _line_at(text, i)
        try:
            item, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            return [], [Issue(display_name, exc.lineno, "(top level)", f"cannot read the JSON: {exc.msg}")]
        except RecursionError:  # `[[[[…` a hundred thousand deep: refused, not a crash
            return [], [Issue(display_name, line, "(row)", "cannot read the JSON: nested too deeply "
                              "(REDCap metadata is a list of flat objects)")]
        i = _skip_space(text, end)
        budget.values_left -= CSV_ROW_VALUES
        if budget.values_left < 0:
            collector.issues.append(Issue(display_name, line, "(row)", f"the protocol holds more than "
                                          f"{MAX_VALUES:,} values (each field counts as {CSV_ROW_VALUES})"))
            break
        if not isinstance(item, dict):
            collector.issues.append(Issue(display_name, line, "(row)", "each entry must be an object with REDCap "
                                          "metadata keys (field_name, form_name, field_type, …)"))
            continue
        cells = dict.fromkeys(HEADERS, "")
        unknown = []
        for key, value in item.items():
            column = _HEADER_ALIASES.get(str(key).strip().lower())
            if column is None:
                unknown.append(str(key))
                continue
            if value is None:
                value = ""
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                collector.issues.append(Issue(display_name, line, str(item.get("field_name") or "(row)"),
                                              f"{key!r} must be text", csv_column=column))
                continue
            text_value = str(value)
            if len(text_value) > MAX_SCALAR_CHARS:
                collector.issues.append(Issue(display_name, line, str(item.get("field_name") or "(row)"),
                                              f"a value of more than {MAX_SCALAR_CHARS:,} characters", csv_column=column))
                text_value = ""
            cells[column] = text_value.strip()
        if unknown:
            collector.warn_line(line, cells[C_NAME] or "(row)", f"unknown metadata keys {', '.join(sorted(unknown))}",
                                "ignored")
        collector.row(cells, line)
    return collector.forms(), collector.issues


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _line_at(text: str, i: int) -> int:
    return text.count("\n", 0, i) + 1


class _Collector:
    """Rows -> forms, checking what REDCap checks across rows (a form's rows are contiguous)."""

    def __init__(self, display_name: str):
        self.display_name = display_name
        self.by_name: dict[str, CsvForm] = {}
        self.last_form: str | None = None
        self.issues: list[Issue] = []
        self.line_warnings: list[tuple[int, str, str, str]] = []

    def warn_line(self, line: int, name: str, message: str, fallback: str) -> None:
        self.line_warnings.append((line, name, message, fallback))

    def row(self, cells: dict[str, str], line: int) -> None:
        display_name = self.display_name
        form_name = cells[C_FORM]
        if not form_name:
            self.issues.append(Issue(display_name, line, cells[C_NAME] or "(row)", "empty form name",
                                     csv_column=C_FORM))
            return
        if form_name not in self.by_name:
            fsrc = SourceMap(display_name)
            fsrc.add((), Origin(display_name, line))
            fsrc.add(("name",), Origin(display_name, line, C_FORM))
            self.by_name[form_name] = CsvForm({"name": form_name, "label": _default_form_label(form_name),
                                               "fields": []}, fsrc, line)
        elif form_name != self.last_form:
            self.issues.append(Issue(display_name, line, cells[C_NAME] or "(row)",
                                     f"the rows of form {form_name!r} must be contiguous", csv_column=C_FORM))
        self.last_form = form_name
        form = self.by_name[form_name]
        index = len(form.data["fields"])
        base = ("fields", index)
        form.source.add(base, Origin(display_name, line))
        for attr, column in COLUMN_OF_ATTRIBUTE.items():
            form.source.add((*base, attr), Origin(display_name, line, column))
        field_data, row_issues, row_warnings = _row_to_field(cells)
        form.problems.extend(((*base, attr), message) for attr, message in row_issues)
        form.warnings.extend(((*base, attr), message, fallback) for attr, message, fallback in row_warnings)
        form.data["fields"].append(field_data)
        form.rows.append(line)
        for w_line, _name, message, fallback in self.line_warnings:
            if w_line == line:
                form.warnings.append((base, message, fallback))
        self.line_warnings = [w for w in self.line_warnings if w[0] != line]

    def forms(self) -> list[CsvForm]:
        return list(self.by_name.values())


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
    """`1, Yes | 0, No` -> [("1", "Yes"), ("0", "No")]; raises ValueError naming the bad part.

    Strict: every choice needs a code and a label (celltrial's own format). REDCap's laxer
    spellings are read by `read_choices`, which says what it made of them.
    """
    pairs, notes = read_choices(source)
    if notes:
        raise ValueError(notes[0][0])
    return pairs


def read_choices(source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """REDCap's choices as REDCap reads them, and (message, fallback) for each lax spelling.

    A choice with a blank label (`1,`) is shown with its code; a choice without a comma (`Yes`)
    has the same code and label. Raises ValueError when there is no choice at all.
    """
    out: list[tuple[str, str]] = []
    notes: list[tuple[str, str]] = []
    for part in source.split("|"):
        part = part.strip()
        if not part:
            continue
        code, comma, label = part.partition(",")
        code, label = code.strip(), label.strip()
        if not comma and not _CODE.match(part):
            raise ValueError(f"choice {part!r} must be written as 'code, label' (choices separated by |)")
        if not comma:
            notes.append((f"choice {part!r} must be written as 'code, label' (choices separated by |)",
                          f"code and label both {part!r}, as REDCap reads it"))
            code = label = part
        elif not code:
            raise ValueError(f"choice {part!r} has no code; write it as 'code, label' (choices separated by |)")
        elif not label:
            notes.append((f"choice {code!r} has a blank label", f"shown as its code {code!r}"))
            label = code
        out.append((code, label))
    if not out:
        raise ValueError("no choices given; write them as '1, Yes | 0, No'")
    return out, notes


def _number_or_text(value: str, comma_decimal: bool = False) -> float | str:
    text = value.replace(",", ".") if comma_decimal else value
    try:
        number = float(text)
    except ValueError:
        return value
    return int(number) if number.is_integer() and "." not in text and "e" not in text.lower() else number


_Problems = list[tuple[str, str]]
_Warnings = list[tuple[str, str, str]]


def _row_to_field(cells: dict[str, str]) -> tuple[dict[str, Any], _Problems, _Warnings]:
    problems: _Problems = []
    warnings: _Warnings = []
    tags, rest = _split_tags(cells[C_ANNOTATION])
    raw_type = cells[C_TYPE].lower()
    validation = cells[C_VALIDATION].lower() or None
    data: dict[str, Any] = {"name": cells[C_NAME]}
    source = cells[C_CHOICES]

    ftype: str | None
    if raw_type == "text":
        ftype, validation, decimals = _text_type(validation)
        if decimals is not None:
            data["decimals"] = decimals
        if source.upper().startswith("BIOPORTAL:"):
            warnings.append(("choices", f"the BioPortal ontology {source[10:].strip()!r} cannot be searched here",
                             "a text field (type the term)"))
            source = ""
    elif raw_type == "truefalse":
        ftype = "radio"
        data["choices"] = [{"code": "1", "label": {"en": "True", "zh": "是"}},
                           {"code": "0", "label": {"en": "False", "zh": "否"}}]
    elif raw_type in _PLAIN_TYPES:
        ftype = _PLAIN_TYPES[raw_type]
    elif raw_type == "sql":
        ftype, validation = "text", None
        warnings.append(("type", "field type 'sql' (a dropdown filled by a query on the REDCap server) cannot run "
                                 "here", "a text field"))
        source = ""
    elif raw_type == "slider":
        ftype = "slider"
        if validation not in (None, "number"):
            warnings.append(("validation", f"slider option {validation!r} is unknown", "ignored"))
        validation = validation if validation == "number" else None
        labels = [part.strip() for part in source.split("|")] if source else []
        if len(labels) > 3:
            warnings.append(("choices", f"a slider has three labels (left | middle | right); got {len(labels)}",
                             "the first three"))
        if any(labels):
            data["slider_labels"] = labels[:3]
        source = ""
    elif raw_type == "file":
        ftype = "file"
        if validation not in (None, "signature"):
            warnings.append(("validation", f"file option {validation!r} is unknown", "a plain file upload"))
            validation = None
    else:
        ftype = raw_type or None
        problems.append(("type", f"unknown field type {cells[C_TYPE]!r}; expected one of text, notes, dropdown, "
                                 "radio, checkbox, calc, file, yesno, truefalse, slider, descriptive, sql"))
    data["type"] = ftype
    if validation:
        data["validation"] = validation

    label = cells[C_LABEL]
    if not label and ftype == "descriptive":  # other types: the schema requires a label, as REDCap does
        warnings.append(("label", "a descriptive field with an empty label (in REDCap it shows an attached "
                                  "image or file, which the dictionary does not carry)",
                         f"shown as its field name {cells[C_NAME]!r}"))
        label = cells[C_NAME] or "-"
    data["label"] = _text(label, tags.get("LANG-ZH-LABEL"))
    if cells[C_NOTE]:
        data["note"] = _text(cells[C_NOTE], tags.get("LANG-ZH-NOTE"))
    if cells[C_SECTION]:
        data["section_header"] = _text(cells[C_SECTION], tags.get("LANG-ZH-SECTION"))
    if "UNITS" in tags:
        data["units"] = tags["UNITS"]

    if ftype == "calc":
        data["calc"] = source or None
    elif ftype in ("radio", "dropdown", "checkbox") and raw_type != "truefalse":
        try:
            pairs, notes = read_choices(source)
            zh = dict(parse_choices(tags["LANG-ZH-CHOICES"])) if "LANG-ZH-CHOICES" in tags else {}
        except ValueError as exc:
            problems.append(("choices", str(exc)))
        else:
            warnings.extend(("choices", message, fallback) for message, fallback in notes)
            unknown = sorted(set(zh) - {code for code, _ in pairs})
            if unknown:
                problems.append(("annotation", f"@LANG-ZH-CHOICES names codes not in the choices: {', '.join(unknown)}"))
            data["choices"] = [{"code": code, "label": _text(label, zh.get(code))} for code, label in pairs]
    elif source and ftype is not None:
        problems.append(("choices", f"a {raw_type} field takes no choices or calculation"))

    comma_decimal = bool(validation and validation.endswith("_comma_decimal"))
    for attr, column in (("min", C_MIN), ("max", C_MAX)):
        bound = cells[column]
        if not bound:
            continue
        if ftype in _NO_BOUNDS:
            why = " (autocomplete)" if validation == "autocomplete" else ""
            warnings.append((attr, f"a {raw_type}{why} field has no {attr} in celltrial; REDCap ignores it too",
                             f"{attr} {bound!r} ignored"))
            continue
        data[attr] = _number_or_text(bound, comma_decimal) if ftype in ("integer", "number", "slider") else bound
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
    return data, problems, warnings


# Field types whose min/max REDCap ignores (it keeps them only for text, and shows them on sliders).
_NO_BOUNDS = frozenset({"radio", "dropdown", "checkbox", "yesno", "calc", "descriptive", "notes", "file"})


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
    elif f.type == "slider":
        choices = " | ".join(f.slider_labels or ())
    elif f.choices and f.type != "yesno":
        choices = " | ".join(f"{c.code}, {c.label.en}" for c in f.choices)
    else:
        choices = ""
    comma = bool(f.validation and f.validation.endswith("_comma_decimal"))
    cells = {
        C_NAME: f.name, C_FORM: form_name, C_SECTION: f.section_header.en if f.section_header else "",
        C_TYPE: rtype, C_LABEL: f.label.en, C_CHOICES: choices, C_NOTE: f.note.en if f.note else "",
        C_VALIDATION: validation, C_MIN: _fmt(f.min, comma), C_MAX: _fmt(f.max, comma), C_IDENT: "y" if f.identifier else "",
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


def _fmt(value: float | str | None, comma_decimal: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if comma_decimal and isinstance(value, float):
        return str(value).replace(".", ",")
    return str(value)
