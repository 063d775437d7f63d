"""Cross-object checks on a schema-valid protocol.

Each finding carries the data path of the offending value, which the loader
turns into file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from celltrial.study.protocol import expressions
from celltrial.study.protocol.errors import Path_
from celltrial.study.protocol.schema import Crm, FormField, Protocol


@dataclass(frozen=True)
class Finding:
    path: Path_
    message: str
    expression_column: int | None = None


def check(protocol: Protocol) -> list[Finding]:
    findings: list[Finding] = []
    findings += _unique("sites", ((i, s.code) for i, s in enumerate(protocol.sites)), "code", "site code")
    findings += _unique("visits", ((i, v.code) for i, v in enumerate(protocol.visits)), "code", "visit code")
    findings += _unique("dose_levels", ((i, d.code) for i, d in enumerate(protocol.dose_levels)), "code",
                        "dose level code")
    findings += _unique("forms", ((i, f.name) for i, f in enumerate(protocol.forms)), "name", "form name")
    findings += _unique("eligibility", ((i, c.id) for i, c in enumerate(protocol.eligibility)), "id",
                        "criterion id")
    findings += [Finding(("dlt", *f.path), f.message) for f in
                 _unique("criteria", ((i, c.id) for i, c in enumerate(protocol.dlt.criteria)), "id",
                         "DLT criterion id")]
    findings += list(_doses(protocol))
    findings += list(_visits(protocol))
    findings += list(_fields(protocol))
    findings += list(_expressions(protocol))
    return findings


def _unique(section: str, items: Iterable[tuple[int, str]], key: str, what: str) -> Iterator[Finding]:
    first: dict[str, int] = {}
    for index, value in items:
        if value in first:
            yield Finding((section, index, key),
                          f"duplicate {what} {value!r} (also {section}[{first[value]}])")
        else:
            first[value] = index


def _doses(protocol: Protocol) -> Iterator[Finding]:
    levels = protocol.dose_levels
    for i in range(1, len(levels)):
        if levels[i].dose_cells_per_kg <= levels[i - 1].dose_cells_per_kg:
            yield Finding(("dose_levels", i, "dose_cells_per_kg"),
                          f"doses must increase strictly: {levels[i].dose_cells_per_kg:g} cells/kg is not above "
                          f"{levels[i - 1].code} ({levels[i - 1].dose_cells_per_kg:g} cells/kg)")
    codes = [d.code for d in levels]
    design = protocol.escalation
    if design.start_dose not in codes:
        yield Finding(("escalation", "start_dose"),
                      f"start dose {design.start_dose!r} is not a dose level (one of {', '.join(codes)})")
    if isinstance(design, Crm):
        if len(design.skeleton) != len(levels):
            yield Finding(("escalation", "skeleton"),
                          f"the skeleton has {len(design.skeleton)} values for {len(levels)} dose levels")
        if any(b <= a for a, b in zip(design.skeleton, design.skeleton[1:], strict=False)):
            yield Finding(("escalation", "skeleton"), "skeleton probabilities must increase strictly")


def _visits(protocol: Protocol) -> Iterator[Finding]:
    form_names = {f.name for f in protocol.forms}
    for i, visit in enumerate(protocol.visits):
        seen: set[str] = set()
        for j, name in enumerate(visit.forms):
            if name not in form_names:
                yield Finding(("visits", i, "forms", j),
                              f"visit {visit.code} lists form {name!r}, which is not in the data dictionary")
            if name in seen:
                yield Finding(("visits", i, "forms", j), f"form {name!r} is listed twice in visit {visit.code}")
            seen.add(name)


def _fields(protocol: Protocol) -> Iterator[Finding]:
    # REDCap, and our one-record-per-form storage, need field names unique across the whole dictionary.
    first: dict[str, tuple[str, int]] = {}
    for i, form in enumerate(protocol.forms):
        for j, f in enumerate(form.fields):
            if f.name in first:
                yield Finding(("forms", i, "fields", j, "name"),
                              f"field name {f.name!r} is already used in form {first[f.name][0]!r}")
            else:
                first[f.name] = (form.name, j)
            if f.decimals is not None and f.type != "number":
                yield Finding(("forms", i, "fields", j, "decimals"), "decimals apply only to number fields")
            if (f.min is not None or f.max is not None) and f.type not in ("integer", "number", "date",
                                                                           "datetime", "text"):
                yield Finding(("forms", i, "fields", j, "min" if f.min is not None else "max"),
                              f"a {f.type} field cannot have min/max")


def _expressions(protocol: Protocol) -> Iterator[Finding]:
    fields: dict[str, FormField] = {f.name: f for form in protocol.forms for f in form.fields}
    events = {v.code.lower() for v in protocol.visits}
    for i, criterion in enumerate(protocol.eligibility):
        yield from _expression(("eligibility", i, "expression"), criterion.expression, fields, events)
    for i, form in enumerate(protocol.forms):
        for j, f in enumerate(form.fields):
            if f.branching:
                yield from _expression(("forms", i, "fields", j, "branching"), f.branching, fields, events)
            if f.calc:
                yield from _expression(("forms", i, "fields", j, "calc"), f.calc, fields, events, self_name=f.name)


def _expression(path: Path_, source: str, fields: dict[str, FormField], events: set[str],
                self_name: str | None = None) -> Iterator[Finding]:
    try:
        refs = expressions.references(source)
    except expressions.ExpressionError as exc:
        where = f" at column {exc.column}" if exc.column else ""
        if exc.line > 1:
            where = f" at line {exc.line}, column {exc.column}"
        yield Finding(path, f"cannot read the expression{where}: {exc.message}", exc.column)
        return
    for ref in sorted(refs, key=lambda r: (r.field, r.event or "", r.code or "")):
        target = fields.get(ref.field)
        if target is None:
            yield Finding(path, f"[{ref.field}] is not a field of the data dictionary", _column_of(source, ref))
            continue
        if ref.field == self_name:
            yield Finding(path, f"the calculation of [{ref.field}] refers to itself", _column_of(source, ref))
        if ref.event is not None and ref.event.lower() not in events:
            yield Finding(path, f"[{ref.event}] is not a visit code", _column_of(source, ref))
        if ref.code is not None:
            if target.type != "checkbox":
                yield Finding(path, f"[{ref.field}({ref.code})]: only checkbox fields take a (code)",
                              _column_of(source, ref))
            elif ref.code not in {c.code for c in target.choices or ()}:
                yield Finding(path, f"[{ref.field}({ref.code})]: {ref.code!r} is not a choice of {ref.field}",
                              _column_of(source, ref))


def _column_of(source: str, ref: expressions.Reference) -> int | None:
    index = source.find(f"[{ref.field}")
    return index + 1 if index >= 0 else None
