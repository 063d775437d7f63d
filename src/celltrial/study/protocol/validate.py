"""Cross-object checks on a schema-valid protocol.

Each finding carries the data path of the offending value, which the loader
turns into file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from celltrial.study.protocol import edit_checks, expressions
from celltrial.study.protocol.errors import Path_
from celltrial.study.protocol.schema import (
    BOUND_REFERENCE,
    CHOICE_TYPES,
    Criterion,
    Crm,
    Form,
    FormField,
    Protocol,
    Visit,
)


@dataclass(frozen=True)
class Finding:
    path: Path_
    message: str
    expression_column: int | None = None
    warning: bool = False  # loads anyway, with `fallback`; REDCap loads it too
    fallback: str = ""


def check_forms(forms: list[Form]) -> list[Finding]:
    """The checks of a data dictionary on its own (no visits: [event][field] events are not checked)."""
    findings = list(_unique("forms", ((i, f.name) for i, f in enumerate(forms)), "name", "form name"))
    findings += list(_fields(forms))
    findings += list(_expressions(forms, [], None))
    return findings


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
    findings += list(_fields(protocol.forms))
    findings += list(_expressions(protocol.forms, protocol.eligibility, protocol.visits))
    findings += [Finding(("edit_checks", index, key), message)
                 for index, key, message in edit_checks.located_problems(protocol)]
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


def _fields(forms: list[Form]) -> Iterator[Finding]:
    # REDCap, and our one-record-per-form storage, need field names unique across the whole dictionary.
    first: dict[str, tuple[str, int]] = {}
    names = {f.name for form in forms for f in form.fields}
    for i, form in enumerate(forms):
        for j, f in enumerate(form.fields):
            if f.name in first:
                yield Finding(("forms", i, "fields", j, "name"),
                              f"field name {f.name!r} is already used in form {first[f.name][0]!r}")
            else:
                first[f.name] = (form.name, j)
            if f.decimals is not None and f.type != "number":
                yield Finding(("forms", i, "fields", j, "decimals"), "decimals apply only to number fields")
            yield from _action_tags(("forms", i, "fields", j, "annotation"), f)
            if (f.min is not None or f.max is not None) and f.type not in ("integer", "number", "date",
                                                                           "datetime", "text", "slider"):
                yield Finding(("forms", i, "fields", j, "min" if f.min is not None else "max"),
                              f"a {f.type} field cannot have min/max")
            elif f.type in ("integer", "number", "slider"):
                for key, bound in (("min", f.min), ("max", f.max)):
                    reference = BOUND_REFERENCE.match(bound) if isinstance(bound, str) else None
                    if reference and reference.group(1) not in names:
                        yield Finding(("forms", i, "fields", j, key),
                                      f"the {key} {bound} names no field of the data dictionary", warning=True,
                                      fallback=f"no {key}")
                    elif isinstance(bound, str) and not reference:
                        yield Finding(("forms", i, "fields", j, key),
                                      f"the {key} of {'an' if f.type == 'integer' else 'a'} {f.type} field must be a "
                                      f"number; got {bound!r}")


_TAG_HELP = "REDCap ignores what it cannot read in an annotation"


def _action_tags(path: Path_, f: FormField) -> Iterator[Finding]:
    """Action tags: what is not supported or cannot be read loads with a warning (REDCap does not check)."""
    if not f.annotation:
        return
    tags = f.action_tags
    for name in sorted(tags.all_unknown()):
        yield Finding(path, f"action tag @{name} is not supported by celltrial", warning=True, fallback="ignored")
    for problem in tags.all_problems():
        yield Finding(path, f"action tag: {problem}", warning=True, fallback=f"ignored ({_TAG_HELP})")
    codes = {c.code for c in f.choices or ()}
    for tag, given in (("@HIDECHOICE", tags.hidechoice), ("@NONEOFTHEABOVE", tags.none_of_the_above)):
        if given and f.type not in CHOICE_TYPES:
            yield Finding(path, f"{tag} applies to choice fields, not to a {f.type} field", warning=True,
                          fallback="ignored")
        elif given - codes:
            yield Finding(path, f"{tag} names codes that are not choices: {', '.join(sorted(given - codes))}",
                          warning=True, fallback="those codes ignored")
    for what, source in [("@CALCTEXT", tags.calctext), *(("@IF condition", c) for c in tags.conditions())]:
        if source is None:
            continue
        try:
            expressions.analyse(source)
        except expressions.ExpressionError as exc:
            yield Finding(path, f"cannot read the {what} {source[:60]!r}: {exc.message}", warning=True,
                          fallback="@CALCTEXT blank" if what == "@CALCTEXT" else "the condition is false")


def _expressions(forms: list[Form], eligibility: list[Criterion], visits: list[Visit] | None) -> Iterator[Finding]:
    fields: dict[str, FormField] = {f.name: f for form in forms for f in form.fields}
    form_of = {f.name: form.name for form in forms for f in form.fields}
    visit_forms = None if visits is None else {v.code.lower(): (v.code, set(v.forms)) for v in visits}
    context = _Context(fields, form_of, visit_forms, frozenset(form_of.values()))
    for i, criterion in enumerate(eligibility):
        yield from _expression(("eligibility", i, "expression"), criterion.expression, context)
    calc_refs: dict[str, tuple[Path_, set[str]]] = {}
    for i, form in enumerate(forms):
        for j, f in enumerate(form.fields):
            if f.branching:
                yield from _expression(("forms", i, "fields", j, "branching"), f.branching, context)
            if f.calc:
                path: Path_ = ("forms", i, "fields", j, "calc")
                yield from _expression(path, f.calc, context, self_name=f.name)
                try:
                    refs = expressions.references(f.calc)
                except expressions.ExpressionError:
                    continue
                calc_refs[f.name] = (path, {r.field for r in refs if r.field != f.name})
    yield from _calc_cycles(calc_refs)


@dataclass(frozen=True)
class _Context:
    fields: dict[str, FormField]
    form_of: dict[str, str]
    visit_forms: dict[str, tuple[str, set[str]]] | None  # lower-case visit code -> (code, forms); None: unknown
    form_names: frozenset[str]  # computed once: it is asked for every cross-visit reference


_YESNO_CODES = frozenset({"1", "0"})


def _codes(target: FormField) -> frozenset[str] | None:
    """The values a field can hold, when it is a closed list (yes/no, radio, dropdown)."""
    if target.type == "yesno":
        return _YESNO_CODES
    if target.type in ("radio", "dropdown"):
        return frozenset(c.code for c in target.choices or ())
    return None


def _same_code(literal: str, code: str) -> bool:
    if literal.strip() == code:
        return True
    try:  # the logic compares numeric text as numbers: '1.0' = '1'
        return float(literal) == float(code)
    except ValueError:
        return False


def _expression(path: Path_, source: str, context: _Context,
                self_name: str | None = None) -> Iterator[Finding]:
    try:
        analysis = expressions.analyse(source)
    except expressions.ExpressionError as exc:
        where = f" at column {exc.column}" if exc.column else ""
        if exc.line > 1:
            where = f" at line {exc.line}, column {exc.column}"
        yield Finding(path, f"cannot read the expression{where}: {exc.message}", exc.column)
        return

    def finding(message: str, place: expressions.Place, fallback: str | None = None) -> Finding:
        if place.line > 1:
            message += f" (line {place.line}, column {place.column} of the expression)"
        return Finding(path, message, place.column, warning=fallback is not None, fallback=fallback or "")

    for use in analysis.smart:
        name = use.text.split(":", 1)[0].lower()
        if name in expressions.SUPPLIED_SMART_VARIABLES and ":" not in use.text:
            continue
        if name in context.fields:
            yield finding(f"[{use.text}]: the field modifier :{use.text.split(':', 1)[1]} is not evaluated "
                          "by celltrial", use.place, "blank (a condition with it is false)")
        elif name in expressions.KNOWN_SMART_VARIABLES or "-" in name:
            yield finding(f"smart variable [{use.text}] has no value in celltrial", use.place,
                          "blank (a condition with it is false)")
        else:
            yield finding(f"[{use.text}] is not a field of the data dictionary", use.place,
                          "blank (a condition with it is false)")
    for instance in analysis.instances:
        yield finding(f"[{instance.reference.field}][{instance.instance}] reads another instance of a repeating "
                      "form", instance.place, "the value the form page supplies for that instance, else blank")

    for ref in sorted(analysis.references, key=lambda r: (r.field, r.event or "", r.code or "")):
        place = analysis.places[ref]
        target = context.fields.get(ref.field)
        if target is None:
            yield finding(f"[{ref.field}] is not a field of the data dictionary", place)
            continue
        if ref.field == self_name:
            yield finding(f"the calculation of [{ref.field}] refers to itself", place)
        if ref.event is not None and ref.event in expressions.EVENT_SMART_VARIABLES:
            yield finding(f"[{ref.event}][{ref.field}] names the event by a smart variable", analysis.event_places[ref],
                          "blank unless the form page supplies that visit's record")
        elif ref.event is not None and context.visit_forms is not None:
            visit = context.visit_forms.get(ref.event.lower())
            if visit is None:
                yield finding(f"[{ref.event}] is not a visit code", analysis.event_places[ref])
            elif context.form_of[ref.field] not in visit[1] and visit[1] <= context.form_names:
                # (a visit that lists an unknown form is reported on its own; no follow-on finding here)
                yield finding(f"[{ref.event}][{ref.field}]: form {context.form_of[ref.field]!r} is not collected "
                              f"at visit {visit[0]}, so the value would always be blank", place)
        if ref.code is not None:
            if target.type != "checkbox":
                yield finding(f"[{ref.field}({ref.code})]: only checkbox fields take a (code)", place)
            elif ref.code not in {c.code for c in target.choices or ()}:
                yield finding(f"[{ref.field}({ref.code})]: {ref.code!r} is not a choice of {ref.field}", place)
        elif target.type == "checkbox":
            code = target.choices[0].code if target.choices else "1"
            yield finding(f"[{ref.field}] is a checkbox: refer to one choice, e.g. [{ref.field}({code})] = '1' "
                          "(the plain field is always blank)", place)
    for comparison in analysis.comparisons:
        ref = comparison.reference
        target = context.fields.get(ref.field)
        if target is None or ref.code is not None or not comparison.literal.strip():
            continue
        codes = _codes(target)
        if codes is not None and not any(_same_code(comparison.literal, c) for c in codes):
            yield finding(f"[{ref.field}] is compared with {comparison.literal!r}, which is not one of its codes "
                          f"({', '.join(sorted(codes))}), so the comparison can never be true", comparison.place,
                          # REDCap loads such branching and calculations; an eligibility criterion is ours, and
                          # one that can never be met is refused.
                          None if path[0] == "eligibility"
                          else "loaded as written (REDCap loads it too); the comparison is always false")


def _calc_cycles(calc_refs: dict[str, tuple[Path_, set[str]]]) -> Iterator[Finding]:
    """Calculations that depend on themselves through other calculations (a -> b -> a).

    One finding per group of calculations caught in cycles together (a strongly connected
    component), on the first of them in dictionary order, showing one shortest cycle through it.
    Linear in the number of calculations and references, so a long chain of calcs stays fast.
    """
    graph = {name: sorted(dep for dep in deps if dep in calc_refs) for name, (_, deps) in calc_refs.items()}
    order = {name: i for i, name in enumerate(calc_refs)}
    for group in sorted(_components(graph), key=lambda g: min(order[n] for n in g)):
        if len(group) < 2:
            continue  # a calc that names itself is reported by _expression
        start = min(group, key=order.__getitem__)
        cycle = " -> ".join(f"[{n}]" for n in (*_shortest_cycle(graph, start, group), start))
        yield Finding(calc_refs[start][0], f"calculations depend on each other in a cycle: {cycle}")


def _components(graph: dict[str, list[str]]) -> list[set[str]]:
    """Strongly connected components (Tarjan's algorithm, iterative: a chain of 20,000 calcs has no recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[set[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, next_dep = work.pop()
            if next_dep == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            deps = graph[node]
            if next_dep < len(deps):
                work.append((node, next_dep + 1))
                dep = deps[next_dep]
                if dep not in index:
                    work.append((dep, 0))
                elif dep in on_stack:
                    low[node] = min(low[node], index[dep])
                continue
            if work:  # back in the caller: pass the low-link up
                caller = work[-1][0]
                low[caller] = min(low[caller], low[node])
            if low[node] == index[node]:
                group: set[str] = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                groups.append(group)
    return groups


def _shortest_cycle(graph: dict[str, list[str]], start: str, group: set[str]) -> list[str]:
    """start -> ... (the names before returning to start), breadth first inside the group."""
    came_from: dict[str, str] = {}
    queue = [start]
    for name in queue:
        for dep in graph[name]:
            if dep == start:
                trail = [name]
                while trail[-1] != start:
                    trail.append(came_from[trail[-1]])
                return trail[::-1]
            if dep in group and dep not in came_from and dep != start:
                came_from[dep] = name
                queue.append(dep)
    raise AssertionError("a strongly connected group always has a cycle through each member")
