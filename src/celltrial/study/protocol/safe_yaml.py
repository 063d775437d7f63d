"""Compose one YAML document into PyYAML nodes, within limits, without recursion.

PyYAML's own composer recurses once per nesting level (100,000 `[` end in RecursionError) and
gives an alias the very node it names, so a 377-byte "billion laughs" file is a small graph that
only explodes when converted to data. This composer reads the parser's events in a loop and keeps,
for every finished node, how many values it expands to and how deeply it nests; an alias is
charged what it expands to. So a bomb is refused at the alias that crosses the limit, before
anything is expanded, and the node graph handed on is acyclic, at most `MAX_DEPTH` deep once
expanded and at most `MAX_VALUES` values big.

Events come from libyaml (`yaml.CSafeLoader`, some 20 times faster than PyYAML's pure-Python
scanner, with its own nesting cap of 1,000) when PyYAML was built with it, else from the
pure-Python parser, whose scanner is guarded against deep flow nesting (its simple-key bookkeeping
is quadratic in the flow depth).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.tokens import FlowMappingStartToken, FlowSequenceStartToken

from celltrial.study.protocol.limits import (
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_SCALAR_CHARS,
    MAX_VALUES,
    ReadBudget,
)

# YAML 1.1 (PyYAML) wants a dot and a signed exponent; doses in cells/kg are naturally written
# 0.5e6, and reading that as a string would be a trap.
_FLOAT_WITH_BARE_EXPONENT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")


class YamlLimitError(Exception):
    """A document over a limit; `line` is 1-based."""

    def __init__(self, message: str, line: int | None):
        self.message = message
        self.line = line
        super().__init__(message)


def _line(mark: Any) -> int | None:
    return int(mark.line) + 1 if mark is not None else None


TOO_DEEP = f"lists and mappings nested more than {MAX_DEPTH} levels deep"


def _too_deep(mark: Any) -> YamlLimitError:
    return YamlLimitError(TOO_DEEP, _line(mark))


class PyLoader(yaml.SafeLoader):
    """PyYAML's pure-Python safe loader, its flow nesting capped in the scanner."""

    def fetch_flow_collection_start(self, TokenClass: type[FlowSequenceStartToken | FlowMappingStartToken]) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _too_deep(self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


PyLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_WITH_BARE_EXPONENT, list("-+0123456789"))

CLoader: type[Any] | None
if hasattr(yaml, "CSafeLoader"):
    class _CLoader(yaml.CSafeLoader):
        """libyaml's parser; resolving tags and building scalars stay in Python (SafeConstructor)."""

    _CLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT_WITH_BARE_EXPONENT, list("-+0123456789"))
    CLoader = _CLoader
else:  # pragma: no cover - PyYAML wheels ship libyaml
    CLoader = None


def make_loader(text: str, *, use_libyaml: bool = True) -> Any:
    """A safe loader (parser + resolver + SafeConstructor) over `text`."""
    if use_libyaml and CLoader is not None:
        return CLoader(text)
    return PyLoader(text)


@dataclass
class _Open:
    """A list or mapping whose end has not been read yet."""

    node: yaml.SequenceNode | yaml.MappingNode
    anchor: str | None
    values_before: int  # the value count when it opened
    height: int = 1  # levels of nesting, itself included, seen so far
    key: yaml.Node | None = None  # a mapping's key waiting for its value


@dataclass
class _Composer:
    loader: Any
    budget: ReadBudget
    stack: list[_Open] = field(default_factory=list)
    anchors: dict[str, yaml.Node] = field(default_factory=dict)
    # id(finished anchored node) -> (values it expands to, nesting height); a scalar is (1, 0)
    sizes: dict[int, tuple[int, int]] = field(default_factory=dict)
    values: int = 0
    aliases: int = 0

    def charge(self, n: int, mark: Any, via_alias: bool) -> None:
        self.values += n
        self.budget.values_left -= n
        if self.budget.values_left < 0:
            if via_alias:
                raise YamlLimitError(f"this alias would expand the protocol past {MAX_VALUES:,} values "
                                     "(aliases of aliases multiply: an alias bomb?)", _line(mark))
            raise YamlLimitError(f"the protocol holds more than {MAX_VALUES:,} values (keys, items and texts, "
                                 "its included files counted)", _line(mark))

    def place(self, node: yaml.Node, height: int) -> yaml.Node | None:
        """Attach a finished node to the open collection; returns it when it is the document's root."""
        if not self.stack:
            return node
        parent = self.stack[-1]
        parent.height = max(parent.height, height + 1)
        if isinstance(parent.node, yaml.SequenceNode):
            parent.node.value.append(node)
        elif parent.key is None:
            parent.key = node
        else:
            parent.node.value.append((parent.key, node))
            parent.key = None
        return None

    def remember(self, anchor: str | None, node: yaml.Node, mark: Any) -> None:
        if anchor is None:
            return
        if anchor in self.anchors:
            raise ComposerError(f"found duplicate anchor {anchor!r}; first occurrence",
                                self.anchors[anchor].start_mark, "second occurrence", mark)
        self.anchors[anchor] = node

    def resolve(self, kind: type[yaml.Node], value: str | None, event: Any) -> str:
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(kind, value, event.implicit)
        return str(tag)

    def node_from(self, event: Any) -> yaml.Node | None:
        """Take one event; returns the root node once it is complete."""
        start: Any = event.start_mark  # libyaml's marks are not PyYAML's Mark class, but read alike
        end: Any = event.end_mark
        if isinstance(event, yaml.AliasEvent):
            return self.alias(event)
        if isinstance(event, yaml.ScalarEvent):
            if len(event.value) > MAX_SCALAR_CHARS:
                raise YamlLimitError(f"a value of more than {MAX_SCALAR_CHARS:,} characters", _line(start))
            self.charge(1, start, via_alias=False)
            scalar = yaml.ScalarNode(self.resolve(yaml.ScalarNode, event.value, event), event.value,
                                     start, end, style=event.style)
            if event.anchor is not None:
                self.remember(event.anchor, scalar, start)
                self.sizes[id(scalar)] = (1, 0)
            return self.place(scalar, 0)
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            if len(self.stack) >= MAX_DEPTH:
                raise _too_deep(start)
            self.charge(1, start, via_alias=False)
            node: yaml.SequenceNode | yaml.MappingNode
            if isinstance(event, yaml.SequenceStartEvent):
                node = yaml.SequenceNode(self.resolve(yaml.SequenceNode, None, event), [], start, None,
                                         flow_style=event.flow_style)
            else:
                node = yaml.MappingNode(self.resolve(yaml.MappingNode, None, event), [], start, None,
                                        flow_style=event.flow_style)
            self.remember(event.anchor, node, start)
            self.stack.append(_Open(node, event.anchor, self.values))
            return None
        if isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            done = self.stack.pop()
            done.node.end_mark = end
            if done.anchor is not None:
                self.sizes[id(done.node)] = (self.values - done.values_before + 1, done.height)
            return self.place(done.node, done.height)
        raise ComposerError(None, None, f"unexpected {type(event).__name__}", start)

    def alias(self, event: Any) -> yaml.Node | None:
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise YamlLimitError(f"more than {MAX_ALIASES:,} aliases (*name) in one file", _line(event.start_mark))
        target = self.anchors.get(event.anchor)
        if target is None:
            raise ComposerError(None, None, f"found undefined alias {event.anchor!r}", event.start_mark)
        size = self.sizes.get(id(target))
        if size is None:  # still open: `a: &x [*x]`
            raise YamlLimitError(f"the alias *{event.anchor} refers to a value that contains it",
                                 _line(event.start_mark))
        count, height = size
        if len(self.stack) + height > MAX_DEPTH:
            raise _too_deep(event.start_mark)
        self.charge(count, event.start_mark, via_alias=True)
        return self.place(target, height)


def compose(loader: Any, budget: ReadBudget) -> yaml.Node | None:
    """The single document of the loader's stream as a node graph (None for an empty stream).

    Raises YamlLimitError over a limit, yaml.MarkedYAMLError on a syntax error.
    """
    composer = _Composer(loader, budget)
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    start = loader.get_event()  # document start
    root: yaml.Node | None = None
    while root is None:
        root = composer.node_from(loader.get_event())
    loader.get_event()  # document end
    if not loader.check_event(yaml.StreamEndEvent):
        raise ComposerError("expected a single document in the stream", start.start_mark,
                            "but found another document", loader.get_event().start_mark)
    return root
