"""The one place protocol validation talks to the expression language (`celltrial.logic`)."""

from __future__ import annotations

from dataclasses import dataclass

from celltrial import logic
from celltrial.logic import nodes
from celltrial.logic.parser import EVENT_SMART_VARIABLES, INSTANCE_SMART_VARIABLES

# Smart variables the form page passes to the expression language (`smart=` of Expression.evaluate):
# the visit code, the repeat instance, the subject label and the user. Others are blank, with a warning.
SUPPLIED_SMART_VARIABLES = frozenset({"event-name", "current-instance", "record-name", "user-name"})
# REDCap's smart variables that a dictionary may use in logic (those celltrial cannot evaluate are blank).
KNOWN_SMART_VARIABLES = frozenset({
    *SUPPLIED_SMART_VARIABLES, *EVENT_SMART_VARIABLES, *INSTANCE_SMART_VARIABLES,
    "event-label", "event-id", "event-number", "arm-number", "arm-label", "record-dag-name", "record-dag-id",
    "record-dag-label", "user-role-id", "user-role-name", "user-role-label", "user-dag-name", "user-dag-id",
    "user-dag-label", "user-fullname", "user-email", "project-id", "redcap-base-url", "redcap-version",
    "instrument-name", "instrument-label", "is-form", "is-survey", "survey-title", "survey-link", "survey-url",
    "survey-queue-url", "survey-date-completed", "survey-time-completed", "survey-date-started",
    "survey-time-started", "survey-duration", "survey-duration-completed", "form-url", "form-link",
    "survey-return-code", "data-table", "aggregate-min", "aggregate-max", "aggregate-mean", "aggregate-median",
    "aggregate-sum", "aggregate-count", "aggregate-stdev", "aggregate-unique", "calendar-url", "calendar-link",
})


@dataclass(frozen=True)
class Reference:
    event: str | None
    field: str
    code: str | None


@dataclass(frozen=True)
class Place:
    """A 1-based line and column inside an expression (REDCap logic may span lines)."""

    line: int
    column: int


@dataclass(frozen=True)
class Comparison:
    """`[field] = 'literal'` (or `<>`), for checking the literal against the field's choice codes."""

    reference: Reference
    literal: str
    place: Place


@dataclass(frozen=True)
class SmartUse:
    """A smart variable (`[event-name]`, `[survey-duration-completed:consent]`, `[sex:label]`) and where."""

    text: str
    place: Place


@dataclass(frozen=True)
class InstanceUse:
    """`[field][2]` or `[field][previous-instance]`: a value from another instance of a repeating form."""

    reference: Reference
    instance: str
    place: Place


@dataclass(frozen=True)
class Analysis:
    references: frozenset[Reference]
    places: dict[Reference, Place]  # where the field part of each reference first appears
    event_places: dict[Reference, Place]  # where the [event] part of each cross-visit reference first appears
    comparisons: tuple[Comparison, ...]
    smart: tuple[SmartUse, ...] = ()
    instances: tuple[InstanceUse, ...] = ()


class ExpressionError(Exception):
    def __init__(self, message: str, column: int | None, line: int = 1):
        self.message = message
        self.column = column  # 1-based, on `line` of the expression
        self.line = line  # 1-based line inside the expression (REDCap logic may span lines)
        super().__init__(message)


def references(source: str) -> frozenset[Reference]:
    """The field references of an expression; raises ExpressionError on a syntax error."""
    return analyse(source).references


def analyse(source: str) -> Analysis:
    """References with their places, and equality comparisons with literals; raises ExpressionError."""
    try:
        expression = logic.parse(source)
    except logic.LogicSyntaxError as exc:
        raise ExpressionError(exc.message, exc.column, exc.line) from None
    except logic.LogicError as exc:  # e.g. unknown function, wrong argument count
        raise ExpressionError(str(exc), None) from None
    places: dict[Reference, Place] = {}
    event_places: dict[Reference, Place] = {}
    comparisons: list[Comparison] = []
    smart: list[SmartUse] = []
    instances: list[InstanceUse] = []
    for node in nodes.walk(expression.tree):
        if isinstance(node, nodes.Smart):
            smart.append(SmartUse(node.text, _place(source, node.position)))
        if isinstance(node, nodes.Field) and node.instance is not None \
                and node.instance.lower() != "current-instance":
            instances.append(InstanceUse(_reference(node), node.instance, _place(source, node.position)))
        if isinstance(node, nodes.Field):
            ref = _reference(node)
            # [event][field]: the field part starts at the second '[' (event names hold no brackets)
            # ([event-name][field] is read as the current event: its field part is also the second '[')
            field_at = (source.index("[", node.position + 1)
                        if ref.event is not None or source.startswith("[event-name]", node.position)
                        else node.position)
            _first(places, ref, _place(source, field_at))
            if ref.event is not None:
                _first(event_places, ref, _place(source, node.position))
        elif isinstance(node, nodes.Binary) and node.op in ("=", "<>"):
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, nodes.Field) and isinstance(other, nodes.String | nodes.Number):
                    literal = other.value if isinstance(other, nodes.String) else _number_text(other.value)
                    comparisons.append(Comparison(_reference(side), literal, _place(source, other.position)))
    return Analysis(frozenset(places), places, event_places, tuple(comparisons), tuple(smart), tuple(instances))


def _first(places: dict[Reference, Place], ref: Reference, place: Place) -> None:
    if ref not in places or (place.line, place.column) < (places[ref].line, places[ref].column):
        places[ref] = place


def _reference(node: nodes.Field) -> Reference:
    return Reference(node.ref.event, node.ref.field, node.ref.code)


def _place(source: str, position: int) -> Place:
    line_start = source.rfind("\n", 0, position) + 1
    return Place(source.count("\n", 0, position) + 1, position - line_start + 1)


def _number_text(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
