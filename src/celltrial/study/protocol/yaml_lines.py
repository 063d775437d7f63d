"""Read YAML keeping the line of every key and list item.

The file is read by `safe_files` (a small regular UTF-8 text file) and composed by `safe_yaml`
(within the limits: values, aliases, depth, lengths) into a node graph whose nodes carry a start
mark; we construct plain Python data ourselves from that graph so that each data path gets the
line it was written on, and so that duplicate keys (which PyYAML silently overwrites) are refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from celltrial.study.protocol import safe_yaml
from celltrial.study.protocol.errors import Issue, Path_, dotted
from celltrial.study.protocol.limits import MAX_NUMBER_CHARS, ReadBudget
from celltrial.study.protocol.safe_files import SourceFileError, read_source_text
from celltrial.study.protocol.sourcemap import Origin, SourceMap

SYNTAX = "(YAML syntax)"
LIMITS = "(YAML)"
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


class YamlReadError(Exception):
    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def read_yaml(path: Path, display_name: str, budget: ReadBudget | None = None, *,
              use_libyaml: bool = True) -> tuple[Any, SourceMap]:
    """Parse one YAML file into plain data and its path -> line map.

    `budget` is shared by the files of one protocol (a fresh one when not given). Raises
    YamlReadError with file and line for unreadable files, syntax errors, limits, duplicate keys
    and unsupported tags.
    """
    budget = budget if budget is not None else ReadBudget()
    try:
        text = read_source_text(path, display_name, budget)
    except SourceFileError as exc:
        raise YamlReadError(exc.issues) from None
    node = parse_yaml(text, display_name, budget, use_libyaml=use_libyaml)
    smap = SourceMap(display_name)
    if node is None:
        raise YamlReadError([Issue(display_name, 1, "(file)", "the file is empty")])
    loader = safe_yaml.make_loader("", use_libyaml=use_libyaml)  # its constructor builds the scalars
    issues: list[Issue] = []
    data = _convert(node, (), loader, smap, display_name, issues)
    if issues:
        raise YamlReadError(issues)
    return data, smap


def parse_yaml(text: str, display_name: str, budget: ReadBudget, *, use_libyaml: bool = True) -> yaml.Node | None:
    """The document's node graph (acyclic, within the limits); raises YamlReadError."""
    loader = safe_yaml.make_loader(text, use_libyaml=use_libyaml)
    try:
        return safe_yaml.compose(loader, budget)
    except safe_yaml.YamlLimitError as exc:
        raise YamlReadError([Issue(display_name, exc.line, LIMITS, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or "invalid YAML"
        if problem == "exceeded maximum nesting depth":  # libyaml's own cap (1,000), met while looking ahead
            raise YamlReadError([Issue(display_name, line, LIMITS, safe_yaml.TOO_DEEP)]) from None
        if exc.context and exc.context_mark:
            # e.g. "expected ',' or ']', but got ':' (while parsing a flow sequence begun on line 42)"
            problem += f" ({exc.context} begun on line {exc.context_mark.line + 1})"
        elif exc.context:
            problem += f" ({exc.context})"
        raise YamlReadError([Issue(display_name, line, SYNTAX, problem)]) from None
    except yaml.YAMLError as exc:
        raise YamlReadError([Issue(display_name, None, SYNTAX, str(exc))]) from None
    finally:
        loader.dispose()


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _convert(node: yaml.Node, path: Path_, loader: Any, smap: SourceMap, file: str, issues: list[Issue]) -> Any:
    # Recursion is safe: the composer refused graphs deeper than MAX_DEPTH, cycles and bombs.
    if isinstance(node, yaml.MappingNode):
        try:
            loader.flatten_mapping(node)  # resolves `<<: *anchor` merge keys
        except yaml.MarkedYAMLError as exc:
            issues.append(Issue(file, _line(node), dotted(path), exc.problem or "cannot merge here"))
            return None
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                issues.append(Issue(file, _line(key_node), dotted(path), "a key must be a plain value"))
                continue
            key = _scalar(key_node, path, loader, file, issues)
            # Keys are compared as text: `1:` and `"1":` are the same choice code.
            key_text = "" if key is None else str(key).lower() if isinstance(key, bool) else str(key)
            if key_text in result:
                issues.append(Issue(file, _line(key_node), dotted((*path, key_text)),
                                    f"duplicate key {key_text!r} (already given above)"))
                continue
            smap.add((*path, key_text), Origin(file, _line(key_node)))
            result[key_text] = _convert(value_node, (*path, key_text), loader, smap, file, issues)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            smap.add((*path, index), Origin(file, _line(item)))
            items.append(_convert(item, (*path, index), loader, smap, file, issues))
        return items
    return _scalar(node, path, loader, file, issues)


def _scalar(node: yaml.Node, path: Path_, loader: Any, file: str, issues: list[Issue]) -> Any:
    if node.tag in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_CHARS:
        # YAML 1.1 reads 1:2:3 as a base-60 number, at a cost that grows with the square of its length.
        issues.append(Issue(file, _line(node), dotted(path), f"a number of more than {MAX_NUMBER_CHARS} characters"))
        return None
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        issues.append(Issue(file, _line(node), dotted(path), exc.problem or str(exc)))
        return None
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML builds dates itself and lets datetime's error through: `date: 2025-02-30`.
        issues.append(Issue(file, _line(node), dotted(path), f"cannot read {node.value!r}: {exc}"))
        return None
