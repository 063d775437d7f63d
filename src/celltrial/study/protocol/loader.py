"""Load a protocol definition: YAML (+ included form files and REDCap CSVs) -> validated Protocol.

Every problem is reported with file, line and dotted field path; all problems
of a stage are reported together so a coordinator can fix a file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from celltrial.study.protocol import validate
from celltrial.study.protocol.errors import Issue, LoadWarning, Path_, ProtocolError, dotted
from celltrial.study.protocol.limits import ReadBudget
from celltrial.study.protocol.redcap import CsvForm, read_redcap_file
from celltrial.study.protocol.safe_files import confined_path
from celltrial.study.protocol.schema import Form, Protocol
from celltrial.study.protocol.sourcemap import SourceMap
from celltrial.study.protocol.yaml_lines import YamlReadError, read_yaml

_REDCAP_ENTRY_KEYS = {"redcap", "forms"}
_FORM_OVERRIDE_KEYS = {"label", "instrument", "repeating"}


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol; raises ProtocolError listing every issue (file:line: field: message).

    The protocol and the files it includes are read within the limits of `limits.py`, and
    includes must stay inside the protocol's folder. What loads with a fallback (a REDCap feature
    celltrial does not run) is not an error: `load_protocol_with_warnings` returns those too.
    """
    return load_protocol_with_warnings(path)[0]


def load_protocol_with_warnings(path: str | Path) -> tuple[Protocol, list[LoadWarning]]:
    """`load_protocol`, and the warnings (file, line, field, message, fallback) in file order."""
    path = Path(path)
    display = str(path)
    budget = ReadBudget()
    try:
        data, smap = read_yaml(path, display, budget)
    except YamlReadError as exc:
        raise ProtocolError(exc.issues) from None
    issues: list[Issue] = []
    warnings: list[LoadWarning] = []
    if isinstance(data, dict) and isinstance(data.get("forms"), list):
        data["forms"] = _expand_forms(data["forms"], _Folder(path.parent, budget), smap, issues, warnings)
    if issues:
        # Do not validate a half-read dictionary: follow-on errors would only bury the real ones.
        raise ProtocolError(issues)
    try:
        protocol = Protocol.model_validate(data)
    except ValidationError as exc:
        raise ProtocolError(_schema_issues(exc, data, smap)) from None
    findings = validate.check(protocol)
    if any(not f.warning for f in findings):
        raise ProtocolError(_finding_issue(f, smap) for f in findings if not f.warning)
    warnings += [_finding_warning(f, smap, protocol.forms) for f in findings if f.warning]
    return protocol, _in_file_order(warnings)


@dataclass(frozen=True)
class Dictionary:
    """A REDCap data dictionary read on its own: its forms and what loaded with a fallback."""

    forms: list[Form]
    warnings: list[LoadWarning]


def load_dictionary(path: str | Path) -> Dictionary:
    """Read one REDCap data dictionary (CSV with either header, or API JSON metadata) on its own.

    Raises ProtocolError (file:line) for what REDCap refuses too; everything else loads, with warnings.
    [event][field] references are not checked against visits (a dictionary has none).
    """
    path = Path(path)
    display = str(path)
    csv_forms, issues = read_redcap_file(path, display, ReadBudget())
    if not csv_forms and not issues:
        issues = [Issue(display, 1, "(file)", "the data dictionary has no fields")]
    warnings: list[LoadWarning] = []
    smap = SourceMap(display)  # paths as in a protocol: ("forms", index, "fields", …)
    for index, csv_form in enumerate(csv_forms):
        _csv_form_findings(csv_form, index, issues, warnings)
        smap.graft(("forms", index), csv_form.source)
    if issues:
        raise ProtocolError(issues)
    forms: list[Form] = []
    for index, csv_form in enumerate(csv_forms):
        try:
            forms.append(Form.model_validate(csv_form.data))
        except ValidationError as exc:
            for issue in _schema_issues(exc, csv_form.data, csv_form.source):
                field = f"forms[{index}]" + ("" if issue.field == "(top level)" else f".{issue.field}")
                issues.append(Issue(issue.file, issue.line, field, issue.message, csv_column=issue.csv_column))
    if issues:
        raise ProtocolError(issues)
    findings = validate.check_forms(forms)
    if any(not f.warning for f in findings):
        raise ProtocolError(_finding_issue(f, smap) for f in findings if not f.warning)
    warnings += [_finding_warning(f, smap, forms) for f in findings if f.warning]
    return Dictionary(forms, _in_file_order(warnings))


def _in_file_order(warnings: list[LoadWarning]) -> list[LoadWarning]:
    return sorted(warnings, key=lambda w: (w.file, w.line if w.line is not None else 0, w.field))


def _csv_form_findings(csv_form: CsvForm, index: int, issues: list[Issue], warnings: list[LoadWarning]) -> None:
    """The reader's problems and warnings of one form, placed at file:line (form `index` of the protocol)."""
    for problem_path, message in csv_form.problems:
        origin = csv_form.source.locate(problem_path)
        issues.append(Issue(origin.file, origin.line, dotted(("forms", index, *problem_path)),
                            message, csv_column=origin.csv_column))
    for warning_path, message, fallback in csv_form.warnings:
        origin = csv_form.source.locate(warning_path)
        warnings.append(LoadWarning(origin.file, origin.line, _field_name(csv_form, warning_path), message,
                                    fallback, csv_column=origin.csv_column))


def _field_name(csv_form: CsvForm, path: Path_) -> str:
    """A warning names the field (its variable name), as REDCap's own messages do."""
    if len(path) >= 2 and path[0] == "fields" and isinstance(path[1], int):
        name = csv_form.data["fields"][path[1]].get("name") or f"fields[{path[1]}]"
        return f"{csv_form.data['name']}.{name}"
    return str(csv_form.data["name"])


class _Folder:
    """The protocol's folder: included paths are written relative to it and must stay inside it."""

    def __init__(self, base: Path, budget: ReadBudget):
        self.base = base
        self.budget = budget

    def target(self, rel: Any, where: _Where, key: str, what: str, issues: list[Issue]) -> tuple[Path, str] | None:
        """(the file to read, the name to show) for an include, or None after reporting why not."""
        if not isinstance(rel, str) or not rel:
            where.issue(issues, (key,), f"give the path of {what}")
            return None
        try:
            target = confined_path(self.base, rel)
        except ValueError as exc:
            where.issue(issues, (key,), f"cannot include {_shown(rel)}: {exc}")
            return None
        display = str(self.base / rel)
        if not target.exists():  # said at the include, where the coordinator mistyped it
            where.issue(issues, (key,), f"file not found: {display}")
            return None
        return target, display


class _Where:
    """The source map of one part of the protocol (a `forms` entry), and that part's full path for messages."""

    def __init__(self, smap: SourceMap, prefix: Path_):
        self.smap = smap
        self.prefix = prefix

    def issue(self, issues: list[Issue], path: Path_, message: str) -> None:
        origin = self.smap.locate(path)
        issues.append(Issue(origin.file, origin.line, dotted((*self.prefix, *path)), message,
                            csv_column=origin.csv_column))


# --- forms: inline, `include:` YAML files, `redcap:` data dictionaries -------------------------------


def _expand_forms(entries: list[Any], folder: _Folder, smap: SourceMap, issues: list[Issue],
                  warnings: list[LoadWarning]) -> list[Any]:
    """Replace `include:` and `redcap:` entries by the forms they hold, re-keying the source map."""
    entry_maps = smap.children(("forms",))
    smap.drop(("forms",))
    forms: list[Any] = []
    for index, entry in enumerate(entries):
        where = _Where(entry_maps.get(index) or smap.subtree(("forms", index)), ("forms", index))
        if isinstance(entry, dict) and "include" in entry:
            if set(entry) != {"include"}:
                where.issue(issues, (), "an include entry takes only the key 'include'")
                continue
            forms_here = _include(entry["include"], folder, where, issues)
        elif isinstance(entry, dict) and "redcap" in entry:
            forms_here = _redcap(entry, folder, where, len(forms), issues, warnings)
        else:
            forms_here = [(entry, where.smap)]
        for form, form_map in forms_here:
            smap.graft(("forms", len(forms)), form_map)
            forms.append(form)
    return forms


def _include(rel: Any, folder: _Folder, where: _Where, issues: list[Issue]) -> list[tuple[Any, SourceMap]]:
    found = folder.target(rel, where, "include", "a YAML form file", issues)
    if found is None:
        return []
    target, display = found
    try:
        data, fmap = read_yaml(target, display, folder.budget)
    except YamlReadError as exc:
        issues.extend(exc.issues)
        return []
    if isinstance(data, list):  # a file may hold several forms
        parts = fmap.children(())
        return [(item, parts.get(i) or fmap.subtree((i,))) for i, item in enumerate(data)]
    return [(data, fmap)]


def _redcap(entry: dict[str, Any], folder: _Folder, where: _Where, first_index: int,
            issues: list[Issue], warnings: list[LoadWarning]) -> list[tuple[Any, SourceMap]]:
    for key in sorted(set(entry) - _REDCAP_ENTRY_KEYS):
        where.issue(issues, (key,), f"unknown key {key!r} in a redcap entry (redcap, forms)")
    rel = entry["redcap"]
    found = folder.target(rel, where, "redcap", "a REDCap data-dictionary CSV", issues)
    if found is None:
        return []
    target, display = found
    csv_forms, file_issues = read_redcap_file(target, display, folder.budget)
    issues.extend(file_issues)
    if not csv_forms and file_issues:
        return []  # an unreadable file: "form 'x' is not in it" would only bury the reason
    overrides = entry.get("forms") or {}
    if not isinstance(overrides, dict):
        where.issue(issues, ("forms",), "give form names mapped to label / instrument / repeating")
        overrides = {}
    override_maps = where.smap.children(("forms",))
    names = {f.data["name"] for f in csv_forms}
    for name in overrides:
        if name not in names:
            where.issue(issues, ("forms", name), f"form {name!r} is not in {rel}")
    result = []
    for offset, csv_form in enumerate(csv_forms):
        _csv_form_findings(csv_form, first_index + offset, issues, warnings)
        name = csv_form.data["name"]
        override = overrides.get(name)
        if isinstance(override, dict):
            override_where = _Where(override_maps.get(name) or where.smap.subtree(("forms", name)),
                                    (*where.prefix, "forms", name))
            key_maps = override_where.smap.children(())
            for key, value in override.items():
                if key not in _FORM_OVERRIDE_KEYS:
                    override_where.issue(issues, (key,), f"unknown key {key!r} (label, instrument, repeating)")
                    continue
                csv_form.data[key] = value
                csv_form.source.add((key,), override_where.smap.locate((key,)))
                for sub, origin in (key_maps.get(key) or SourceMap(where.smap.root_file)).items():
                    if sub:
                        csv_form.source.add((key, *sub), origin)
        result.append((csv_form.data, csv_form.source))
    return result


# --- schema errors -> issues ------------------------------------------------------------------------


def _data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path_, bool]:
    """Keep the parts of a pydantic location that are real keys / indexes of the data.

    Pydantic adds union tags and validator names to locations; they are not in
    the file. Returns the path and whether every part was found.
    """
    path: list[str | int] = []
    node = data
    complete = True
    for part in loc:
        if isinstance(node, dict) and str(part) in node:
            path.append(str(part))
            node = node[str(part)]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        else:
            complete = False
    return tuple(path), complete


def _schema_issues(exc: ValidationError, data: Any, smap: SourceMap) -> list[Issue]:
    issues = []
    for err in exc.errors():
        path, _ = _data_path(data, err["loc"])
        message = _message(err)
        if err["type"] == "missing":
            shown: Path_ = (*path, str(err["loc"][-1]))
        elif err["type"] == "union_tag_invalid":
            shown = path = (*path, str(err.get("ctx", {}).get("discriminator", "design")).strip("'"))
        else:
            shown = path
        origin = smap.locate(path)
        issues.append(Issue(origin.file, origin.line, dotted(shown), message,
                            csv_column=origin.csv_column))
    return issues


_PATTERN_HELP = {
    r"^[a-z][a-z0-9_]*$": "use lower-case letters, digits and underscores, starting with a letter",
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$": "use letters, digits, '_', '.' or '-', starting with a letter or digit",
    r"^[A-Z][A-Z0-9_]*$": "use upper-case letters, digits and underscores, e.g. ABC_AMAN58",
    r"^[A-Z]{2}$": "use a two-letter ISO 3166 country code, e.g. CN",
}


def _message(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    value = err.get("input")
    if kind == "missing":
        return f"missing required key {err['loc'][-1]!r}"
    if kind == "extra_forbidden":
        return f"unknown key {err['loc'][-1]!r} (misspelt, or not part of the protocol format)"
    if kind == "union_tag_invalid":
        return f"unknown value {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    if kind == "union_tag_not_found":
        return f"missing key {ctx.get('discriminator', 'design')}"
    if kind in ("string_too_long", "too_long") and isinstance(value, str):
        # (a constrained str behind a before-validator reports the generic `too_long`)
        return f"at most {ctx.get('max_length')} characters; got {len(value)}"
    if kind == "string_pattern_mismatch" and str(ctx.get("pattern")) in _PATTERN_HELP:
        return f"{_PATTERN_HELP[str(ctx['pattern'])]}; got {_shown(value)}"
    message = err["msg"]
    if message.startswith("Value error, "):
        return message[len("Value error, "):]
    shows_value = kind.endswith(("_parsing", "_type")) or kind.startswith(("greater_than", "less_than"))
    if shows_value or kind in ("literal_error", "string_pattern_mismatch"):
        message += f"; got {_shown(value)}"
    return message


def _shown(value: Any) -> str:
    """The offending value as the message shows it: a 60,000-character value is cut, not printed."""
    text = repr(value)
    return text if len(text) <= 100 else f"{text[:80]}... ({len(text):,} characters)"


def _finding_warning(finding: validate.Finding, smap: SourceMap, forms: list[Form]) -> LoadWarning:
    issue = _finding_issue(finding, smap)
    field = issue.field
    path = finding.path
    if len(path) >= 4 and path[0] == "forms" and path[2] == "fields" and isinstance(path[1], int) \
            and isinstance(path[3], int):
        form = forms[path[1]]
        field = f"{form.name}.{form.fields[path[3]].name}"  # as the reader's warnings name it
    return LoadWarning(issue.file, issue.line, field, issue.message, finding.fallback, csv_column=issue.csv_column)


def _finding_issue(finding: validate.Finding, smap: SourceMap) -> Issue:
    origin = smap.locate(finding.path)
    message = finding.message
    if finding.expression_column and "column" not in message:
        message += f" (column {finding.expression_column} of the expression)"
    return Issue(origin.file, origin.line, dotted(finding.path), message, csv_column=origin.csv_column,
                 expression_column=finding.expression_column)
