"""Read YAML keeping the line of every key and list item.

PyYAML's composed node tree carries a start mark per node; we construct plain
Python data ourselves from that tree so that each data path gets the line it
was written on, and so that duplicate keys (which PyYAML silently overwrites)
are refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from celltrial.study.protocol.errors import Issue, Path_, dotted
from celltrial.study.protocol.sourcemap import Origin, SourceMap


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `0.5e6` and `2e6` as floats.

    YAML 1.1 (PyYAML) wants a dot and a signed exponent; doses in cells/kg are
    naturally written 0.5e6, and reading that as a string would be a trap.
    """


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


class YamlReadError(Exception):
    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def read_yaml(path: Path, display_name: str) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data and its path -> line map.

    Raises YamlReadError with file and line for syntax errors, duplicate keys and unsupported tags.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise YamlReadError([Issue(display_name, None, "(file)", f"cannot read file: {exc.strerror}")]) from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        if exc.context and exc.context_mark:
            # e.g. "expected ',' or ']', but got ':' (while parsing a flow sequence begun on line 42)"
            problem += f" ({exc.context} begun on line {exc.context_mark.line + 1})"
        elif exc.context:
            problem += f" ({exc.context})"
        raise YamlReadError([Issue(display_name, line, "(YAML syntax)", problem)]) from None
    except yaml.YAMLError as exc:
        raise YamlReadError([Issue(display_name, None, "(YAML syntax)", str(exc))]) from None
    except RecursionError:  # PyYAML's composer recurses once per nesting level
        raise YamlReadError([Issue(display_name, None, "(YAML syntax)", "nested too deeply to read")]) from None
    finally:
        loader.dispose()
    smap = SourceMap(display_name)
    if node is None:
        raise YamlReadError([Issue(display_name, 1, "(file)", "the file is empty")])
    issues: list[Issue] = []
    data = _convert(node, (), loader, smap, display_name, issues)
    if issues:
        raise YamlReadError(issues)
    return data, smap


# Far deeper than any protocol; keeps the recursive conversion clear of Python's recursion limit.
_MAX_DEPTH = 60


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _convert(node: yaml.Node, path: Path_, loader: _Loader, smap: SourceMap, file: str,
             issues: list[Issue], open_nodes: frozenset[int] = frozenset()) -> Any:
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        # An alias may point back at a node that contains it (`a: &x [*x]`): refuse the loop.
        if id(node) in open_nodes:
            issues.append(Issue(file, _line(node), dotted(path), "an alias refers to a value that contains it"))
            return None
        open_nodes = open_nodes | {id(node)}
        if len(path) > _MAX_DEPTH:
            issues.append(Issue(file, _line(node), dotted(path[:_MAX_DEPTH]),
                                f"nested more than {_MAX_DEPTH} levels deep"))
            return None
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                issues.append(Issue(file, _line(key_node), dotted(path), "a key must be a plain value"))
                continue
            key = loader.construct_object(key_node)
            # Keys are compared as text: `1:` and `"1":` are the same choice code.
            key_text = "" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            if key_text in result:
                issues.append(Issue(file, _line(key_node), dotted((*path, key_text)),
                                    f"duplicate key {key_text!r} (already given above)"))
                continue
            smap.add((*path, key_text), Origin(file, _line(key_node)))
            result[key_text] = _convert(value_node, (*path, key_text), loader, smap, file, issues, open_nodes)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            smap.add((*path, index), Origin(file, _line(item)))
            items.append(_convert(item, (*path, index), loader, smap, file, issues, open_nodes))
        return items
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        issues.append(Issue(file, _line(node), dotted(path), exc.problem or str(exc)))
        return None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML builds dates itself and lets datetime's error through: `date: 2025-02-30`.
        issues.append(Issue(file, _line(node), dotted(path), f"cannot read {node.value!r}: {exc}"))
        return None
