"""The public ``Expression`` object: a parsed expression and what it can do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from celltrial.logic.evaluate import Evaluator, InstanceLookup
from celltrial.logic.functions import Context
from celltrial.logic.nodes import Call, Field, FieldRef, Node, Smart, walk
from celltrial.logic.parser import parse_tree
from celltrial.logic.printer import to_source


@dataclass(frozen=True)
class Expression:
    """A parsed REDCap-style expression (branching logic, calc, eligibility rule).

    Two expressions are equal when their trees are, whatever their spacing.
    """

    source: str = field(compare=False)
    tree: Node

    def evaluate(
        self,
        record: Mapping[str, Any],
        *,
        events: Mapping[str, Mapping[str, Any]] | None = None,
        today: dt.date | None = None,
        missing_codes: Iterable[str] = (),
        smart: Mapping[str, Any] | None = None,
        instances: InstanceLookup | None = None,
    ) -> Any:
        """Evaluate against one record.

        ``record`` maps field name to value (REDCap's stored strings, or numbers,
        dates, and for checkboxes either ``field___code`` keys or a collection of
        ticked codes under ``field``).  ``events`` maps a unique event name to the
        record of that event, for ``[event][field]``.  ``today`` fixes the date
        used for 'today' (default: the system date).  ``missing_codes`` are the
        project's missing-data codes, for ``isblankormissingcode()``.
        ``smart`` maps a smart variable's text to its value (``{"event-name": "D28",
        "current-instance": 2}``); ``instances(event, field, instance)`` returns a field's value in
        another instance of a repeating form (``[cm_dose][previous-instance]``). Smart variables and
        instances the caller does not supply are blank.

        Returns a bool (conditions), a number (calculations) or a string; the
        empty string means blank.  Never raises because of the data.
        """
        context = Context(today or dt.date.today(), frozenset(missing_codes))
        return Evaluator(record, events, context, smart, instances).value(self.tree)

    def references(self) -> frozenset[FieldRef]:
        """Every field the expression reads, for checking against a data dictionary."""
        return frozenset(node.ref for node in walk(self.tree) if isinstance(node, Field))

    def smart_variables(self) -> frozenset[str]:
        """The text of every smart variable the expression reads, e.g. ``{"event-name"}``."""
        return frozenset(node.text for node in walk(self.tree) if isinstance(node, Smart))

    def functions(self) -> frozenset[str]:
        """The names of the functions the expression calls."""
        return frozenset(node.name for node in walk(self.tree) if isinstance(node, Call))

    def to_source(self) -> str:
        """Normalised source text; parses back to an equal expression."""
        return to_source(self.tree)

    def __str__(self) -> str:
        return self.source


def parse(source: str) -> Expression:
    """Parse ``source``; raise ``LogicSyntaxError`` pointing at the first mistake."""
    if not isinstance(source, str):
        raise TypeError(f"expression source must be str, not {type(source).__name__}")
    return Expression(source, parse_tree(source))
