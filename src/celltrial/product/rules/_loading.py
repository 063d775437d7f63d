"""Read YAML or JSON rule and result files into plain mappings (shared by specs, results and donors)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from celltrial.product.rules.errors import RuleInputError


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


def optional_number(data: Mapping[str, Any], key: str, unit: str, where: str) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        # PyYAML (YAML 1.1) reads 1.0e6 as text: accept numeric text.
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleInputError(f"{where}: {key} must be a number of {unit}, got {value!r}")
    if value <= 0:
        raise RuleInputError(f"{where}: {key} must be a positive number of {unit}, got {value}")
    return float(value)
