"""Release specifications as versioned data: one file per specification version.

A specification is a list of tests. Each test names the analyte(s) it reads from a lot's results, how
to judge them, the unit, whether it is required, and the published source of the limit. Kinds:

``numeric``           observed ``comparison`` ``limit`` (e.g. CD105 ≥ 95 %, passage ≤ 5)
``either_marker``     a pair such as CD14 / CD11b: either marker may be tested; passes when at least one
                      is reported and every reported marker meets the limit (ISCT: "CD14 or CD11b,
                      CD79α or CD19", Dominici et al., Cytotherapy 2006;8:315)
``categorical``       observed text is one of ``accepted`` (sterility "no growth", mycoplasma "not detected")
``viable_dose``       viable cells in the product within ±``tolerance`` of dose (cells/kg) × dosing weight
``endotoxin_per_kg``  EU/mL × product volume ÷ recipient weight ≤ ``limit`` (K = 5 EU/kg IV, USP <85>)

Changing a limit means a new file with a new ``version``; every evaluation records ``version_id``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from celltrial.product.rules._loading import read_mapping
from celltrial.product.rules.errors import SpecificationError

DEFAULT_SPECIFICATION_FILE = "hbmmsc-release-v1.yaml"


class TestKind(StrEnum):
    __test__ = False  # not a pytest test class

    NUMERIC = "numeric"
    EITHER_MARKER = "either_marker"
    CATEGORICAL = "categorical"
    VIABLE_DOSE = "viable_dose"
    ENDOTOXIN_PER_KG = "endotoxin_per_kg"


class Comparison(StrEnum):
    AT_LEAST = ">="
    MORE_THAN = ">"
    AT_MOST = "<="
    LESS_THAN = "<"

    def holds(self, observed: float, limit: float) -> bool:
        if self is Comparison.AT_LEAST:
            return observed >= limit
        if self is Comparison.MORE_THAN:
            return observed > limit
        if self is Comparison.AT_MOST:
            return observed <= limit
        return observed < limit

    @property
    def is_upper_limit(self) -> bool:
        return self in (Comparison.AT_MOST, Comparison.LESS_THAN)

    @property
    def symbol(self) -> str:
        return {">=": "≥", ">": ">", "<=": "≤", "<": "<"}[self.value]


@dataclass(frozen=True)
class SpecTest:
    """One test of a release specification."""

    __test__ = False  # not a pytest test class

    code: str
    name: str
    kind: TestKind
    analytes: tuple[str, ...]
    unit: str = ""
    comparison: Comparison | None = None
    limit: float | None = None
    accepted: tuple[str, ...] = ()
    tolerance_fraction: float | None = None
    required: bool = True
    source: str = ""

    @property
    def requirement(self) -> str:
        """The acceptance criterion in words, as printed on a certificate of analysis."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind is TestKind.CATEGORICAL:
            return " or ".join(repr(a) for a in self.accepted)
        if self.kind is TestKind.VIABLE_DOSE:
            assert self.tolerance_fraction is not None
            return f"dose × weight ±{self.tolerance_fraction * 100:g}%"
        assert self.comparison is not None and self.limit is not None
        criterion = f"{self.comparison.symbol} {self.limit:g}{unit}"
        if self.kind is TestKind.EITHER_MARKER:
            return f"{' or '.join(self.analytes)} {criterion}"
        return criterion


@dataclass(frozen=True)
class ReleaseSpecification:
    id: str
    version: str
    title: str
    product: str
    status: str
    tests: tuple[SpecTest, ...]
    weight_cap_kg: float | None = None
    notes: str = ""

    @property
    def version_id(self) -> str:
        return f"{self.id}/v{self.version}"

    @property
    def analytes(self) -> frozenset[str]:
        return frozenset(a for test in self.tests for a in test.analytes)


def _text(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if value is None:
        raise SpecificationError(f"{where}: '{key}' is required")
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise SpecificationError(f"{where}: '{key}' must be text, got {value!r}")
    return str(value).strip()


def _number(data: Mapping[str, Any], key: str, where: str) -> float:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecificationError(f"{where}: '{key}' must be a number, got {value!r}")
    return float(value)


def _test_from_mapping(data: Any, index: int) -> SpecTest:
    if not isinstance(data, Mapping):
        raise SpecificationError(f"test #{index} must be a mapping, got {data!r}")
    code = _text(data, "code", f"test #{index}")
    where = f"test {code!r}"
    try:
        kind = TestKind(_text(data, "kind", where))
    except ValueError as exc:
        allowed = ", ".join(k.value for k in TestKind)
        raise SpecificationError(f"{where}: 'kind' must be one of {allowed}") from exc
    raw_analytes = data.get("analytes", [data["analyte"]] if "analyte" in data else None)
    if not isinstance(raw_analytes, Sequence) or isinstance(raw_analytes, str) or not raw_analytes:
        raise SpecificationError(f"{where}: give 'analyte' (one name) or 'analytes' (a list of names)")
    analytes = tuple(str(a) for a in raw_analytes)
    if kind is TestKind.EITHER_MARKER and len(analytes) < 2:
        raise SpecificationError(f"{where}: an either_marker test needs at least two analytes")
    if kind is not TestKind.EITHER_MARKER and len(analytes) != 1:
        raise SpecificationError(f"{where}: a {kind.value} test reads exactly one analyte")
    comparison = limit = tolerance = None
    accepted: tuple[str, ...] = ()
    if kind in (TestKind.NUMERIC, TestKind.EITHER_MARKER, TestKind.ENDOTOXIN_PER_KG):
        raw_comparison = _text(data, "comparison", where, "<=" if kind is TestKind.ENDOTOXIN_PER_KG else None)
        try:
            comparison = Comparison(raw_comparison)
        except ValueError as exc:
            raise SpecificationError(f"{where}: 'comparison' must be one of >=, >, <=, <") from exc
        limit = _number(data, "limit", where)
    if kind is TestKind.CATEGORICAL:
        raw = data.get("accepted")
        if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
            raise SpecificationError(f"{where}: 'accepted' must be a non-empty list of accepted results")
        accepted = tuple(str(a) for a in raw)
    if kind is TestKind.VIABLE_DOSE:
        tolerance = _number(data, "tolerance", where)
        if not 0 < tolerance < 1:
            raise SpecificationError(f"{where}: 'tolerance' must be a fraction between 0 and 1 (0.2 = ±20%)")
    required = data.get("required", True)
    if not isinstance(required, bool):
        raise SpecificationError(f"{where}: 'required' must be true or false")
    return SpecTest(
        code=code,
        name=_text(data, "name", where, code),
        kind=kind,
        analytes=analytes,
        unit=_text(data, "unit", where, ""),
        comparison=comparison,
        limit=limit,
        accepted=accepted,
        tolerance_fraction=tolerance,
        required=required,
        source=_text(data, "source", where, ""),
    )


def specification_from_mapping(data: Mapping[str, Any]) -> ReleaseSpecification:
    """Build a specification from a parsed YAML/JSON mapping, with a readable error for each mistake."""
    where = "specification"
    raw_tests = data.get("tests")
    if not isinstance(raw_tests, Sequence) or isinstance(raw_tests, str) or not raw_tests:
        raise SpecificationError("specification: 'tests' must be a non-empty list")
    tests = tuple(_test_from_mapping(item, i) for i, item in enumerate(raw_tests, start=1))
    codes = [t.code for t in tests]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise SpecificationError(f"specification: test codes must be unique, repeated: {', '.join(duplicates)}")
    cap = data.get("weight_cap_kg")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int | float) or cap <= 0):
        raise SpecificationError(f"specification: 'weight_cap_kg' must be a positive number of kg, got {cap!r}")
    return ReleaseSpecification(
        id=_text(data, "id", where),
        version=_text(data, "version", where),
        title=_text(data, "title", where, ""),
        product=_text(data, "product", where, ""),
        status=_text(data, "status", where, ""),
        tests=tests,
        weight_cap_kg=None if cap is None else float(cap),
        notes=_text(data, "notes", where, ""),
    )


def load_specification(path: str | Path) -> ReleaseSpecification:
    """Load a release specification from a YAML or JSON file."""
    return specification_from_mapping(read_mapping(path, "specification"))


def default_specification() -> ReleaseSpecification:
    """The shipped ILLUSTRATIVE release specification for the trial's hBMMSC product."""
    return load_specification(default_specification_path())


def default_specification_path() -> Path:
    return Path(str(resources.files("celltrial.product.rules") / "specs" / DEFAULT_SPECIFICATION_FILE))
