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

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, model_validator

from celltrial.product.rules._loading import read_rule_file, validate_rules
from celltrial.product.rules._schema import Code, StrictModel, Text
from celltrial.product.rules.numbers import number
from celltrial.study.protocol.sourcemap import SourceMap

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
    # The lot may be released conditionally while this test's result is pending (e.g. a 14-day sterility
    # culture for a fresh product); the pending result later closes the release or starts a recall.
    pending_allowed: bool = False

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


# ---------------------------------------------------------------- file format (pydantic schema)


Limit = Annotated[float, number(ge=0)]  # QC results are never negative (see release._as_number)
Fraction = Annotated[float, number(gt=0, lt=1, hint="a fraction: 0.2 = ±20%")]


class _TestFields(StrictModel):
    code: Code
    name: Text | None = None
    analyte: Code | None = None
    analytes: list[Code] | None = None
    unit: Text = ""
    required: StrictBool = True
    source: Text = ""
    pending_allowed: StrictBool = False

    @model_validator(mode="after")
    def _one_way_to_name_analytes(self) -> _TestFields:
        if (self.analyte is None) == (self.analytes is None):
            raise ValueError("give 'analyte' (one name) or 'analytes' (a list of names), not both or neither")
        if self.analytes is not None and not self.analytes:
            raise ValueError("'analytes' must list at least one name")
        return self

    @property
    def analyte_names(self) -> tuple[str, ...]:
        return (self.analyte,) if self.analyte is not None else tuple(self.analytes or ())


class _SingleAnalyte(_TestFields):
    @model_validator(mode="after")
    def _exactly_one(self) -> _SingleAnalyte:
        if len(self.analyte_names) != 1:
            raise ValueError(f"a {getattr(self, 'kind', '')} test reads exactly one analyte")
        return self


class _Limited(_TestFields):
    limit: Limit

    @model_validator(mode="after")
    def _percent_is_at_most_100(self) -> _Limited:
        if self.unit == "%" and self.limit > 100:
            raise ValueError(f"a limit in % cannot exceed 100; got {self.limit:g}")
        return self


class NumericTestSpec(_Limited, _SingleAnalyte):
    kind: Literal["numeric"]
    comparison: Comparison


class EitherMarkerTestSpec(_Limited):
    kind: Literal["either_marker"]
    comparison: Comparison

    @model_validator(mode="after")
    def _a_pair_at_least(self) -> EitherMarkerTestSpec:
        if len(self.analyte_names) < 2:
            raise ValueError("an either_marker test needs at least two analytes")
        return self


class CategoricalTestSpec(_SingleAnalyte):
    kind: Literal["categorical"]
    accepted: list[Code] = Field(min_length=1, description="the accepted results")


class ViableDoseTestSpec(_SingleAnalyte):
    kind: Literal["viable_dose"]
    tolerance: Fraction = Field(description="allowed deviation as a fraction: 0.2 = ±20 %")


class EndotoxinPerKgTestSpec(_Limited, _SingleAnalyte):
    kind: Literal["endotoxin_per_kg"]
    comparison: Comparison = Comparison.AT_MOST


AnyTestSpec = Annotated[
    NumericTestSpec | EitherMarkerTestSpec | CategoricalTestSpec | ViableDoseTestSpec | EndotoxinPerKgTestSpec,
    Field(discriminator="kind"),
]


class SpecificationFile(StrictModel):
    """A release specification file, as written (docs/rules.md, "Release specifications as data")."""

    id: Code
    version: Code
    title: Text = ""
    product: Text = ""
    status: Text = ""
    weight_cap_kg: Annotated[float, number(unit="kg", gt=0, le=500)] | None = None
    notes: Text = ""
    tests: list[AnyTestSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> SpecificationFile:
        codes = [t.code for t in self.tests]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"test codes must be unique, repeated: {', '.join(repeated)}")
        return self

    def to_specification(self) -> ReleaseSpecification:
        return ReleaseSpecification(
            id=self.id, version=self.version, title=self.title, product=self.product, status=self.status,
            tests=tuple(_spec_test(t) for t in self.tests), weight_cap_kg=self.weight_cap_kg, notes=self.notes,
        )


def _spec_test(t: NumericTestSpec | EitherMarkerTestSpec | CategoricalTestSpec | ViableDoseTestSpec
               | EndotoxinPerKgTestSpec) -> SpecTest:
    return SpecTest(
        code=t.code,
        name=t.name or t.code,
        kind=TestKind(t.kind),
        analytes=t.analyte_names,
        unit=t.unit,
        comparison=getattr(t, "comparison", None),
        limit=getattr(t, "limit", None),
        accepted=tuple(getattr(t, "accepted", ())),
        tolerance_fraction=getattr(t, "tolerance", None),
        required=t.required,
        source=t.source,
        pending_allowed=t.pending_allowed,
    )


def specification_from_mapping(data: Mapping[str, Any], *, source: SourceMap | None = None) -> ReleaseSpecification:
    """Build a specification from a parsed YAML/JSON mapping. Raises SpecificationError listing every
    problem with its dotted field (and, given the file's ``source`` map, its file and line)."""
    return validate_rules(SpecificationFile, data, source, "specification").to_specification()


def load_specification(path: str | Path) -> ReleaseSpecification:
    """Load a release specification from a YAML or JSON file; problems come with file:line."""
    data, source = read_rule_file(path)
    return specification_from_mapping(data, source=source)


def default_specification() -> ReleaseSpecification:
    """The shipped ILLUSTRATIVE release specification for the trial's hBMMSC product."""
    return load_specification(default_specification_path())


def default_specification_path() -> Path:
    return Path(str(resources.files("celltrial.product.rules") / "specs" / DEFAULT_SPECIFICATION_FILE))
