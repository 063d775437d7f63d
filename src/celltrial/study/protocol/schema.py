"""The protocol definition schema (pydantic v2).

Only per-object rules live here (types, ranges, enums). Rules that look across
objects (a visit names a form that exists, the start dose is a dose level, an
expression names real fields) live in `validate.py`, so that each can report the
exact place in the source files.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from celltrial.study.protocol.action_tags import ActionTags, parse_action_tags
from celltrial.study.protocol.edit_checks import EditCheck
from celltrial.study.protocol.text import ShortText, Text

FORMAT_VERSION: Literal[1] = 1


def _number_as_text(value: Any) -> Any:
    # YAML reads `label: 1.0`, `phase: 1` or `code: 1` as numbers; they are text here.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


Str = Annotated[str, BeforeValidator(_number_as_text)]
Code = Annotated[str, BeforeValidator(_number_as_text), Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
# A site code is also the site's key in the database and in every audit entry (at most 32 there).
SiteCode = Annotated[str, BeforeValidator(_number_as_text),
                     Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]
# Field and form names follow REDCap: lower case, digits, underscores, starting with a letter.
Name = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9_]*$")]


class _Model(BaseModel):
    # Unknown keys are refused: a misspelt key silently ignored is a protocol error nobody sees.
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- identifiers ---------------------------------------------------------------------------------


class RegistryId(_Model):
    registry: str = Field(min_length=1, description="e.g. ClinicalTrials.gov, ChiCTR")
    id: str = Field(min_length=1, description="e.g. NCT07177677")


class VersionInfo(_Model):
    label: Str = Field(min_length=1, max_length=64,
                       description="the protocol's own version label, e.g. 1.0 or Amendment 2")
    date: date


Phase = Annotated[Literal["0", "1", "1/2", "2", "2/3", "3", "4"], BeforeValidator(_number_as_text)]


class Identification(_Model):
    id: Code
    title: Text
    short_title: Text
    phase: Phase
    registry_ids: list[RegistryId] = Field(default_factory=list)
    sponsor: Text
    product: Text | None = None
    ind_number: Str | None = None
    version: VersionInfo


# --- sites ---------------------------------------------------------------------------------------


class Site(_Model):
    # Bounded as the site's database columns are (study.models.Site).
    code: SiteCode
    name: ShortText
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    time_zone: str = Field(max_length=64)
    principal_investigator: ShortText

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # The name is checked before it reaches the zone database, which reads it as a file path.
        if not _ZONE_NAME.match(value):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)")
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value


_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-]+(?:/[A-Za-z0-9_+\-]+)*$")


# --- dose levels and escalation ------------------------------------------------------------------


class DoseLevel(_Model):
    code: Code
    label: Text
    dose_cells_per_kg: float = Field(gt=0, description="viable cells per kg body weight, e.g. 0.5e6")


# Escalation parameters carry the same names, in the same units, as the design engine
# (celltrial.escalation.designs) and the `celltrial design` flags; celltrial.escalation.protocol_design
# is the one place that turns this section into an engine design (docs/protocol-reference.md).
Probability = Annotated[float, Field(gt=0, lt=1)]


class _DesignBase(_Model):
    start_dose: Code = Field(description="code of the dose level the first cohort receives")
    cohort_size: int = Field(default=3, ge=1, le=12)
    max_n: int = Field(ge=1, description="maximum number of participants dosed, expansion included")


class _TargetedDesign(_DesignBase):
    target: Probability = Field(description="target DLT probability, e.g. 0.25")
    n_earlystop: int | None = Field(
        default=None, ge=1,
        description="BOIN's n.earlystop: stop when the design would stay at a dose that already has this many",
    )


class ThreePlusThree(_DesignBase):
    """3+3. 3+3A escalates only; 3+3B may de-escalate to expand a lower dose to 6."""

    design: Literal["3+3A", "3+3B"]
    target: Probability | None = Field(
        default=None, description="not part of the rule: only the threshold for 'treated above the MTD' in OCs"
    )

    @field_validator("cohort_size")
    @classmethod
    def _cohorts_of_three(cls, value: int) -> int:
        if value != 3:
            raise ValueError(f"the 3+3 design treats cohorts of 3; got {value}")
        return value


class Boin(_TargetedDesign):
    design: Literal["boin"]
    p_saf: Probability | None = Field(default=None, description="default 0.6 × target")
    p_tox: Probability | None = Field(default=None, description="default 1.4 × target")
    elimination_cutoff: Probability = 0.95
    extrasafe: bool = False
    offset: float = Field(default=0.05, gt=0, lt=0.5, description="extrasafe: stop at dose 1 above cutoff − offset")
    bound_mtd: bool = False

    @model_validator(mode="after")
    def _ordered(self) -> Boin:
        p_saf = self.p_saf if self.p_saf is not None else 0.6 * self.target
        p_tox = self.p_tox if self.p_tox is not None else 1.4 * self.target
        if not p_saf < self.target < p_tox:
            raise ValueError("BOIN needs p_saf < target < p_tox")
        return self


class Crm(_TargetedDesign):
    design: Literal["crm"]
    skeleton: list[Probability] = Field(
        min_length=1, description="prior DLT probability guess per dose level, increasing"
    )
    model: Literal["empiric", "logistic"] = "empiric"
    intercept: float = Field(default=3.0, allow_inf_nan=False, description="logistic model intercept (dfcrm intcpt)")
    prior_variance: float = Field(
        default=1.34, gt=0, allow_inf_nan=False,
        description="variance of the normal prior of the log-slope (dfcrm's scale is its square root)",
    )
    no_skipping: bool = True
    coherent: bool = True
    tox_certainty: Probability | None = Field(
        default=None, description="stop with no MTD when P(DLT rate at the lowest dose > tox_threshold) exceeds it"
    )
    tox_threshold: Probability | None = Field(default=None, description="default: the target")


class Mtpi2(_TargetedDesign):
    design: Literal["mtpi2"]
    epsilon1: Probability = 0.05
    epsilon2: Probability = 0.05
    elimination_cutoff: Probability = 0.95


class I3plus3(_TargetedDesign):
    design: Literal["i3+3"]
    epsilon1: Probability = 0.05
    epsilon2: Probability = 0.05
    elimination_cutoff: Probability = 0.95


class Keyboard(_TargetedDesign):
    design: Literal["keyboard"]
    key_width: Probability = Field(default=0.1, description="full width of the target key, centred on the target")
    elimination_cutoff: Probability = 0.95


class _TiteTiming(_Model):
    # Time-to-event designs (celltrial.escalation.designs.tite): enrolment continues while windows are pending.
    window_days: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="DLT window in days, a participant pending until it closes (default: the protocol's dlt.window_days)",
    )
    accrual_interval_days: float = Field(
        default=14.0, gt=0, allow_inf_nan=False,
        description="mean days between enrolments, for the simulated operating characteristics",
    )
    accrual: Literal["poisson", "fixed"] = Field(
        default="poisson", description="simulated arrivals: exponential gaps (poisson) or exactly the interval (fixed)"
    )


class TiteBoin(_TiteTiming, Boin):
    """TITE-BOIN (Yuan et al., Clin Cancer Res 2018): BOIN with pending windows."""

    design: Literal["tite-boin"]  # type: ignore[assignment]
    max_pending_ratio: float = Field(
        default=0.5, gt=0, le=1,
        description="suspend accrual when more than this fraction of the participants at the current dose are pending",
    )
    min_followup_fraction: float = Field(
        default=0.0, ge=0, le=1,
        description="escalate only once every pending participant at the dose has this fraction of the window "
        "(Chen et al. 2025 recommend 0.25); 0: off",
    )


class TiteCrm(_TiteTiming, Crm):
    """TITE-CRM (Cheung & Chappell, Biometrics 2000): the CRM with a weighted likelihood."""

    design: Literal["tite-crm"]  # type: ignore[assignment]
    weights: Literal["linear", "adaptive"] = Field(
        default="linear", description="weight of a pending participant: min(u / window, 1), or Cheung & Chappell's adaptive"
    )


EscalationDesign = Annotated[
    ThreePlusThree | Boin | Crm | Mtpi2 | I3plus3 | Keyboard | TiteBoin | TiteCrm, Field(discriminator="design")
]


# --- safety rules ---------------------------------------------------------------------------------


class DltCriterion(_Model):
    id: Code
    text: Text


class Dlt(_Model):
    window_days: int = Field(ge=0, description="DLT window, in days after dose day 0 (inclusive)")
    definition: Text
    criteria: list[DltCriterion] = Field(min_length=1)


class Sentinel(_Model):
    observation_days: int = Field(ge=0, description="days the first participant of a cohort is observed alone")
    stagger_days: int = Field(ge=0, description="minimum days between later participants of a cohort")
    src_decision_required: bool = True


class Src(_Model):
    quorum: int = Field(default=1, ge=1, le=20,
                        description="SRC members whose signatures make a dose-escalation decision take effect")


class Dosing(_Model):
    weight_basis: Literal["screening", "day_minus_1", "dose_day"]
    weight_cap_kg: float | None = Field(default=None, gt=0)
    release_tolerance_pct: float = Field(ge=0, le=100, description="± % of the computed cell number")
    route: Literal["intravenous", "intrathecal", "intramuscular", "subcutaneous", "intranasal"]
    infusion_rate_ml_per_min: float | None = Field(default=None, gt=0, description="maximum rate")


AssentMethod = Literal["verbal", "pictorial", "written"]
ASSENT_METHODS: tuple[AssentMethod, ...] = ("verbal", "pictorial", "written")


class Participants(_Model):
    """Who may enter and with whose consent (read by the participants room)."""

    study_code: str = Field(default="CT", pattern=r"^[A-Z]{2,6}$",
                            description="2-6 letters that begin every screening number and subject ID")
    guardians_required: int = Field(default=1, ge=1, le=2, description="guardians whose consent is required")
    assent_from_age_years: int = Field(default=7, ge=0, le=18,
                                       description="the child's assent is sought from this age (completed years)")
    assent_methods: list[AssentMethod] = Field(default_factory=lambda: list(ASSENT_METHODS), min_length=1)
    witness_for_assent_methods: list[AssentMethod] = Field(
        default_factory=lambda: list(ASSENT_METHODS[:2]),
        description="assent methods that need a witness's name on the record")
    leap_day_birthday: Literal["march_1", "february_28"] = Field(
        default="march_1", description="a 29 February birthday falls on this day in common years (age rules)")


class Regulator(_Model):
    code: str = Field(min_length=1, description="e.g. NMPA")
    reporting_body: str | None = Field(default=None, description="e.g. CDE")
    name: Text


class Reporting(_Model):
    sae_site_to_sponsor_hours: int = Field(gt=0)
    susar_fatal_days: int = Field(default=7, gt=0)
    susar_fatal_followup_days: int = Field(default=8, gt=0)
    susar_other_days: int = Field(default=15, gt=0)
    regulator: Regulator


# --- schedule of activities ------------------------------------------------------------------------


class Window(_Model):
    minus: int = Field(ge=0, description="days allowed before the target day")
    plus: int = Field(ge=0, description="days allowed after the target day")


class Visit(_Model):
    code: Code
    label: Text
    day: int = Field(description="target day relative to dose day 0")
    window: Window = Window(minus=0, plus=0)
    type: Literal["on-site", "phone"] = "on-site"
    forms: list[Name] = Field(default_factory=list)

    @property
    def earliest_day(self) -> int:
        return self.day - self.window.minus

    @property
    def latest_day(self) -> int:
        return self.day + self.window.plus


# --- eligibility -----------------------------------------------------------------------------------


class Criterion(_Model):
    """An eligibility criterion. The expression is true when the criterion is met:
    an inclusion must be true to enrol; a true exclusion excludes."""

    id: Code
    kind: Literal["inclusion", "exclusion"]
    text: Text
    expression: str = Field(min_length=1)


# --- data dictionary -------------------------------------------------------------------------------

FieldType = Literal[
    "text", "notes", "integer", "number", "date", "datetime", "yesno",
    "radio", "dropdown", "checkbox", "calc", "descriptive", "slider", "file",
]
CHOICE_TYPES = frozenset({"radio", "dropdown", "checkbox"})
# A min or max written as `[field]` (REDCap: the bound is that field's value when data are entered).
BOUND_REFERENCE = re.compile(r"^\[([a-z][a-z0-9_]*)\]$")
NUMERIC_TYPES = frozenset({"integer", "number", "calc"})


class Choice(_Model):
    code: Str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.\-]+$")
    label: Text


class FormField(_Model):
    name: Name
    type: FieldType
    label: Text
    units: str | None = None
    note: Text | None = None
    section_header: Text | None = None
    choices: list[Choice] | None = None
    min: float | str | None = Field(default=None, description="number, or ISO date for date fields, or 'today'")
    max: float | str | None = None
    decimals: int | None = Field(default=None, ge=0, le=4)
    validation: str | None = Field(default=None, description="REDCap validation for text fields, e.g. email")
    required: bool = False
    identifier: bool = False
    branching: str | None = None
    calc: str | None = None
    annotation: str | None = Field(default=None, description="REDCap action tags kept verbatim")
    alignment: Literal["RV", "RH", "LV", "LH"] | None = None
    matrix_group: str | None = None
    question_number: str | None = None
    slider_labels: list[Str] | None = Field(
        default=None, max_length=3,
        description="slider: the left, middle and right labels (REDCap's 'left | middle | right')")

    @property
    def action_tags(self) -> ActionTags:
        """The REDCap action tags of the annotation (empty when none), with the field's @UNITS."""
        tags = parse_action_tags(self.annotation)
        if self.units and tags.units != self.units:
            tags = replace(tags, units=self.units)
        return tags

    def bound_reference(self, key: Literal["min", "max"]) -> str | None:
        """The field named by a `[field]` min or max (REDCap evaluates it at entry), else None."""
        bound = self.min if key == "min" else self.max
        if isinstance(bound, str) and (m := BOUND_REFERENCE.match(bound)):
            return m.group(1)
        return None

    @model_validator(mode="before")
    @classmethod
    def _choices_mapping_to_list(cls, value: Any) -> Any:
        # YAML authors may write `choices: {1: Yes, 0: No}`; the list keeps their order in the hash.
        if isinstance(value, dict) and isinstance(value.get("choices"), dict):
            value = dict(value)
            value["choices"] = [{"code": str(k), "label": v} for k, v in value["choices"].items()]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.type in CHOICE_TYPES and not self.choices:
            raise ValueError(f"a {self.type} field needs choices")
        if self.type not in CHOICE_TYPES and self.choices:
            raise ValueError(f"a {self.type} field cannot have choices (only radio, dropdown, checkbox)")
        if self.type == "calc" and not self.calc:
            raise ValueError("a calc field needs a calc expression")
        if self.slider_labels is not None and self.type != "slider":
            raise ValueError("only a slider field has slider labels")
        if self.type != "calc" and self.calc:
            raise ValueError("only a calc field can have a calc expression")
        if self.choices:
            dupes = sorted(code for code, n in Counter(c.code for c in self.choices).items() if n > 1)
            if dupes:
                raise ValueError(f"duplicate choice codes: {', '.join(dupes)}")
        if self.type in ("integer", "number") and isinstance(self.min, float | int) \
                and isinstance(self.max, float | int) and self.min > self.max:
            raise ValueError(f"min {self.min:g} is greater than max {self.max:g}")
        return self

    def choice_label(self, code: str, lang: str = "en") -> str | None:
        for choice in self.choices or ():
            if choice.code == code:
                return choice.label.get(lang)
        return None


class Form(_Model):
    name: Name
    label: Text
    instrument: str | None = Field(
        default=None, pattern=r"^[A-Z][A-Z0-9_]*$", description="scored instrument code, e.g. ABC_AMAN58"
    )
    repeating: bool = Field(default=False, description="may be entered more than once per visit (logs)")
    fields: list[FormField] = Field(min_length=1)

    def field(self, name: str) -> FormField:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"form {self.name!r} has no field {name!r}")


# --- the protocol ----------------------------------------------------------------------------------


class Protocol(_Model):
    format: Literal[1] = FORMAT_VERSION
    protocol: Identification
    sites: list[Site] = Field(min_length=1)
    dose_levels: list[DoseLevel] = Field(min_length=1)
    escalation: EscalationDesign
    dlt: Dlt
    sentinel: Sentinel
    src: Src | None = None
    dosing: Dosing
    visits: list[Visit] = Field(min_length=1)
    eligibility: list[Criterion] = Field(default_factory=list)
    participants: Participants | None = None
    forms: list[Form] = Field(min_length=1)
    reporting: Reporting
    edit_checks: list[EditCheck] | None = None  # study/protocol/edit_checks.py (None keeps the hash of protocols without)

    # canonical form ----------------------------------------------------------

    def canonical_json(self) -> str:
        """Stable JSON: sorted keys, no whitespace, unset optionals left out.

        Lists keep their order (visit order, choice order and field order are content).
        """
        data = self.model_dump(mode="json", exclude_none=True)
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)

    def content_hash(self) -> str:
        """sha256 (hex) of the canonical JSON; a new protocol version is due when it changes."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    # look-ups for the UI -------------------------------------------------------

    def visit(self, code: str) -> Visit:
        for v in self.visits:
            if v.code == code:
                return v
        raise KeyError(f"no visit {code!r}")

    def form(self, name: str) -> Form:
        for f in self.forms:
            if f.name == name:
                return f
        raise KeyError(f"no form {name!r}")

    def dose_level(self, code: str) -> DoseLevel:
        for d in self.dose_levels:
            if d.code == code:
                return d
        raise KeyError(f"no dose level {code!r}")

    def site(self, code: str) -> Site:
        for s in self.sites:
            if s.code == code:
                return s
        raise KeyError(f"no site {code!r}")

    def field(self, name: str) -> tuple[Form, FormField]:
        """The form and field of a field name (field names are unique across the dictionary)."""
        for form in self.forms:
            for f in form.fields:
                if f.name == name:
                    return form, f
        raise KeyError(f"no field {name!r}")

    def schedule_grid(self) -> list[tuple[Form, list[str]]]:
        """Schedule of activities: each form (dictionary order) with the visit codes that collect it."""
        return [
            (form, [v.code for v in self.visits if form.name in v.forms])
            for form in self.forms
        ]

    @staticmethod
    def label(obj: Any, lang: str = "en") -> str:
        """The display label of a visit, form, field, site, dose level, criterion or choice."""
        for attr in ("label", "name", "text", "title"):
            text = getattr(obj, attr, None)
            if isinstance(text, Text):
                return text.get(lang)
        raise TypeError(f"{type(obj).__name__} has no bilingual label")
