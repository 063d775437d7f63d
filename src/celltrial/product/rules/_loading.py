"""Read rule and result files: YAML or JSON into plain mappings; rule files validated by their schema.

Rule files (release specifications, donor rule sets) are read with the protocol loader's line-keeping
YAML reader and validated by a pydantic schema that refuses unknown keys, so every problem is reported
as ``file:line: dotted.field: message``, the same way as a protocol's.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from celltrial.product.rules.errors import RuleInputError, SpecificationError
from celltrial.product.rules.numbers import check_number
from celltrial.study.protocol.errors import Issue
from celltrial.study.protocol.loader import _schema_issues
from celltrial.study.protocol.sourcemap import Origin, SourceMap
from celltrial.study.protocol.yaml_lines import YamlReadError, read_yaml

M = TypeVar("M", bound=BaseModel)


def read_mapping(path: str | Path, what: str) -> Mapping[str, Any]:
    """Load ``path`` (.json, or YAML otherwise) and insist on a top-level mapping."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleInputError(f"cannot read {what} file {str(file)!r}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if file.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise RuleInputError(f"{what} file {str(file)!r} is not valid {file.suffix or 'YAML'}: {_describe(exc)}") from exc
    if not isinstance(data, Mapping):
        raise RuleInputError(f"{what} file {str(file)!r} must contain a mapping (key: value) at the top level")
    return data


def _describe(exc: Exception) -> str:
    # Point the analyst at the line: YAML errors carry a mark, JSON errors a line number.
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
    problem = getattr(exc, "problem", None) or type(exc).__name__
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} at line {mark.line + 1}, column {mark.column + 1}" if mark else str(problem)


def read_rule_file(path: str | Path) -> tuple[Any, SourceMap]:
    """A rule file's data and where each value was written (YAML: file and line; JSON: file only)."""
    file = Path(path)
    display = str(file)
    if file.suffix.lower() != ".json":
        try:
            return read_yaml(file, display)
        except YamlReadError as exc:
            raise SpecificationError.from_issues(exc.issues) from None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SpecificationError.from_issues([Issue(display, None, "(file)", f"cannot read file: {exc.strerror}")]) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        raise SpecificationError.from_issues([Issue(display, line, "(JSON syntax)", str(exc))]) from None
    return data, _no_lines(display)


def _no_lines(display: str) -> SourceMap:
    smap = SourceMap(display)
    smap.add((), Origin(display, None))
    return smap


def validate_rules(schema: type[M], data: Any, smap: SourceMap | None, what: str) -> M:
    """``data`` validated by ``schema``; every problem as an Issue with file, line and dotted field.

    ``smap`` None (a mapping built in code) reports the fields under the name ``what``."""
    smap = smap or _no_lines(what)
    if not isinstance(data, Mapping):
        raise SpecificationError.from_issues([Issue(smap.root_file, smap.locate(()).line, "(top level)",
                                                    f"a {what} must be a mapping (key: value)")])
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        issues = _schema_issues(exc, data, smap)
        errors = exc.errors()
        for i, err in enumerate(errors if len(errors) == len(issues) else ()):
            if err["type"] == "extra_forbidden":
                # the protocol loader's wording names the protocol format; this is a rule file
                message = f"unknown key {err['loc'][-1]!r} (misspelt, or not part of the {what} format)"
                issues[i] = dataclasses.replace(issues[i], message=message)
        raise SpecificationError.from_issues(issues) from None


def optional_number(data: Mapping[str, Any], key: str, unit: str, where: str) -> float | None:
    """A positive number of ``unit`` under ``key``, or None when absent (results files)."""
    value = data.get(key)
    if value is None:
        return None
    try:
        return check_number(value, unit=unit, gt=0)
    except RuleInputError as exc:
        raise RuleInputError(f"{where}: {key} {exc}") from None
