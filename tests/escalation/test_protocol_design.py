"""``design_for``: the one mapping from a protocol's escalation section to an engine design, and the one
vocabulary shared by the protocol, the engine and ``celltrial design``.

Sources:
- [KB] Yan F, Mandrekar SJ, Yuan Y. Keyboard: a novel Bayesian toxicity probability interval design for
  phase I clinical trials. Clin Cancer Res 2017;23:3994-4003. R package Keyboard 0.1.3 (CRAN), whose
  ``get.boundary.kb(target, ncohort, cohortsize, marginL = 0.05, marginR = 0.05, cutoff.eli = 0.95)``
  puts the target key at (target - marginL, target + marginR): a key 0.1 wide by default. Its output
  ``get.boundary.kb(0.3, 10, 3)$full_boundary_tab`` for n = 3..30, as recorded by the fixture
  tests/fixtures/keyboard-boundaries.csv of github.com/dx-li/mdanderson-stats (generated there with
  Keyboard 0.1.3), is ``KB_03`` below.
- [DFCRM] R package dfcrm (Cheung), man/crm.Rd: ``crm(prior, target, tox, level, ..., scale = sqrt(1.34))``,
  "scale: standard deviation of the normal prior of the model parameter"; the help-page example (prior
  c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), target 0.2, level c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2),
  y c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0)) gives the posterior mean of a = -0.21217 with the default prior.
- [ESC] R package escalation: ``get_three_plus_three()`` (3+3A) and ``allow_deescalate = TRUE`` (3+3B).
"""

from __future__ import annotations

import math
import typing

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from celltrial.cli import build_parser
from celltrial.escalation import cli as design_cli
from celltrial.escalation.designs import CRM, IntervalDesign, ThreePlusThree, dfcrm_scale, keyboard_target_key
from celltrial.escalation.protocol_design import ProtocolDesignError, design_for
from celltrial.study.protocol import default_protocol_path, load_protocol, schema

LEVELS = ["DL1", "DL2", "DL3"]
SECTION = TypeAdapter(schema.EscalationDesign)

# [KB] Keyboard 0.1.3, target 0.3, key 0.1 wide: n, escalate if y <=, de-escalate if y >=, eliminate if y >=
KB_03 = [
    (3, 0, 2, 3), (4, 0, 2, 3), (5, 1, 2, 4), (6, 1, 3, 4), (7, 1, 3, 5), (8, 1, 3, 5), (9, 2, 4, 5),
    (10, 2, 4, 6), (11, 2, 4, 6), (12, 2, 5, 7), (13, 3, 5, 7), (14, 3, 5, 8), (15, 3, 6, 8), (16, 3, 6, 8),
    (17, 4, 6, 9), (18, 4, 7, 9), (19, 4, 7, 9), (20, 4, 7, 10), (21, 5, 8, 10), (22, 5, 8, 11),
    (23, 5, 9, 11), (24, 5, 9, 11), (25, 6, 9, 12), (26, 6, 10, 12), (27, 6, 10, 12), (28, 6, 10, 13),
    (29, 7, 11, 13), (30, 7, 11, 14),
]
HELP_PRIOR = [0.05, 0.10, 0.20, 0.35, 0.50, 0.70]
HELP_LEVEL = [3, 4, 4, 3, 3, 4, 3, 2, 2, 2]
HELP_TOX = [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]

# Every key of every escalation block, each away from its default, so a key that does not reach the engine
# under its own name (or reaches it changed) fails below.
EVERY_KEY = {
    "3+3B": {"design": "3+3B", "start_dose": "DL2", "cohort_size": 3, "max_n": 12, "target": 0.25},
    "boin": {"design": "boin", "start_dose": "DL2", "cohort_size": 2, "max_n": 20, "target": 0.25,
             "n_earlystop": 8, "p_saf": 0.12, "p_tox": 0.36, "elimination_cutoff": 0.9, "extrasafe": True,
             "offset": 0.1, "bound_mtd": True},
    "crm": {"design": "crm", "start_dose": "DL2", "cohort_size": 1, "max_n": 20, "target": 0.25,
            "n_earlystop": 9, "skeleton": [0.1, 0.2, 0.35], "model": "logistic", "intercept": 2.5,
            "prior_variance": 0.8, "no_skipping": False, "coherent": False, "tox_certainty": 0.85,
            "tox_threshold": 0.3},
    "mtpi2": {"design": "mtpi2", "start_dose": "DL2", "cohort_size": 2, "max_n": 20, "target": 0.25,
              "n_earlystop": 8, "epsilon1": 0.04, "epsilon2": 0.06, "elimination_cutoff": 0.9},
    "i3+3": {"design": "i3+3", "start_dose": "DL2", "cohort_size": 2, "max_n": 20, "target": 0.25,
             "n_earlystop": 8, "epsilon1": 0.04, "epsilon2": 0.06, "elimination_cutoff": 0.9},
    "keyboard": {"design": "keyboard", "start_dose": "DL2", "cohort_size": 2, "max_n": 20, "target": 0.25,
                 "n_earlystop": 8, "key_width": 0.08, "elimination_cutoff": 0.9},
    "tite-boin": {"design": "tite-boin", "start_dose": "DL2", "cohort_size": 2, "max_n": 20, "target": 0.25,
                  "n_earlystop": 8, "p_saf": 0.12, "p_tox": 0.36, "elimination_cutoff": 0.9, "extrasafe": True,
                  "offset": 0.1, "bound_mtd": True, "window_days": 42.0, "accrual_interval_days": 9.0,
                  "accrual": "fixed", "max_pending_ratio": 0.4, "min_followup_fraction": 0.25},
    "tite-crm": {"design": "tite-crm", "start_dose": "DL2", "cohort_size": 1, "max_n": 20, "target": 0.25,
                 "n_earlystop": 9, "skeleton": [0.1, 0.2, 0.35], "model": "logistic", "intercept": 2.5,
                 "prior_variance": 0.8, "no_skipping": False, "coherent": False, "tox_certainty": 0.85,
                 "tox_threshold": 0.3, "window_days": 42.0, "accrual_interval_days": 9.0, "accrual": "fixed",
                 "weights": "adaptive"},
}


def _blocks() -> list[type]:
    return list(typing.get_args(typing.get_args(schema.EscalationDesign)[0]))


def test_every_escalation_block_is_covered():
    designs = {value for cls in _blocks() for value in typing.get_args(cls.model_fields["design"].annotation)}
    assert designs == {"3+3A", "3+3B", "boin", "crm", "mtpi2", "i3+3", "keyboard", "tite-boin", "tite-crm"}
    assert {SECTION.validate_python(v).__class__ for v in EVERY_KEY.values()} == set(_blocks())


@pytest.mark.parametrize("name", list(EVERY_KEY))
def test_every_protocol_key_reaches_the_engine_under_its_own_name(name):
    section = SECTION.validate_python(EVERY_KEY[name])
    assert section.model_fields_set == set(type(section).model_fields), "give every key of the block"
    design = design_for(section, dose_levels=LEVELS)
    assert design.design == section.design
    assert design.start_dose == 2 and design.n_doses == 3
    for key, value in section.model_dump(exclude={"design", "start_dose"}).items():
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(design, key) == expected, key


def test_default_protocol_maps_to_3_plus_3a_over_its_three_levels():
    protocol = load_protocol(default_protocol_path())
    design = design_for(protocol.escalation, dose_levels=protocol.dose_levels)
    assert isinstance(design, ThreePlusThree) and design.design == "3+3A"
    assert (design.n_doses, design.start_dose, design.cohort_size) == (3, 1, 3)
    # [ESC] 3+3A: 1/3 at dose 2 treats three more there; >= 2/3 stops with the dose below as MTD
    assert design.recommend("1NNN 2NTN").dose == 2
    stop = design.recommend("1NNN 2TTN")
    assert not stop.continue_trial and stop.dose == 1
    # max_n 42 counts the expansion: the rule itself treats at most 6 per level
    assert design.max_n == 18
    assert design_for(protocol.escalation, dose_levels=[d.code for d in protocol.dose_levels]) == design


def test_start_dose_is_the_position_of_its_code():
    section = SECTION.validate_python({"design": "boin", "target": 0.3, "start_dose": "DL3", "max_n": 9})
    design = design_for(section, dose_levels=LEVELS)
    assert design.start_dose == 3 and design.recommend("").dose == 3


def test_keyboard_key_width_is_the_full_width_of_the_target_key():
    # [KB] marginL = marginR = 0.05: the default key 0.1 wide is (0.25, 0.35) around 0.3
    assert keyboard_target_key(0.3, 0.1) == pytest.approx((0.25, 0.35), abs=1e-15)
    assert keyboard_target_key(0.2, 0.06) == pytest.approx((0.17, 0.23), abs=1e-15)
    section = SECTION.validate_python({"design": "keyboard", "target": 0.3, "key_width": 0.1,
                                       "start_dose": "DL1", "max_n": 30})
    design = design_for(section, dose_levels=LEVELS)
    ns = [row[0] for row in KB_03]
    got = design.decision_table().count_boundaries(ns)
    assert got["escalate_if_le"] == [row[1] for row in KB_03]
    assert got["deescalate_if_ge"] == [row[2] for row in KB_03]
    assert got["eliminate_if_ge"] == [row[3] for row in KB_03]
    # A key width taken for a half-width (a key 0.2 wide) gives other decisions: the check can fail.
    wide = design_for(section.model_copy(update={"key_width": 0.2}), dose_levels=LEVELS)
    assert wide.decision_table().count_boundaries(ns) != got


def test_keyboard_key_must_fit_inside_zero_one():
    section = SECTION.validate_python({"design": "keyboard", "target": 0.1, "key_width": 0.3,
                                       "start_dose": "DL1", "max_n": 12})
    with pytest.raises(ProtocolDesignError, match=r"must lie inside \(0, 1\)") as err:
        design_for(section, dose_levels=LEVELS)
    assert err.value.path == ("escalation",)


def test_crm_prior_variance_is_dfcrms_scale_squared():
    # [DFCRM] default scale = sqrt(1.34): the standard deviation of the N(0, 1.34) prior
    assert dfcrm_scale(1.34) == pytest.approx(math.sqrt(1.34), abs=1e-15)
    assert dfcrm_scale(1.34) == pytest.approx(1.1576, abs=5e-5)
    section = SECTION.validate_python({"design": "crm", "target": 0.2, "skeleton": HELP_PRIOR,
                                       "start_dose": "DL3", "max_n": 30})
    assert section.prior_variance == 1.34
    levels = [f"DL{j}" for j in range(1, 7)]
    design = design_for(section, dose_levels=levels)
    assert isinstance(design, CRM)
    n = np.zeros(6, int)
    y = np.zeros(6, int)
    for level, tox in zip(HELP_LEVEL, HELP_TOX, strict=True):
        n[level - 1] += 1
        y[level - 1] += tox
    a, _ = design.crm_model.estimate(n[None], y[None])
    assert a[0] == pytest.approx(-0.21217, abs=1e-5)  # [DFCRM] help-page example
    # the same data with the SD taken for the variance (or the reverse) move the estimate by > 4e-3
    for wrong in (math.sqrt(1.34), 1.34**2):
        off = design_for(section.model_copy(update={"prior_variance": wrong}), dose_levels=levels)
        assert isinstance(off, CRM)
        assert abs(off.crm_model.estimate(n[None], y[None])[0][0] - a[0]) > 4e-3


def test_crm_restrictions_follow_the_protocol():
    # dfcrm crmsim(restrict = TRUE) forbids skipping; a protocol saying no_skipping: false allows it
    base = {"design": "crm", "target": 0.3, "skeleton": [0.02, 0.04, 0.06, 0.08, 0.5], "start_dose": "DL1",
            "max_n": 30}
    levels = [f"DL{j}" for j in range(1, 6)]
    strict = design_for(SECTION.validate_python(base), dose_levels=levels)
    loose = design_for(SECTION.validate_python({**base, "no_skipping": False}), dose_levels=levels)
    assert strict.recommend("1NNN").dose == 2
    assert loose.recommend("1NNN").dose > 2


def test_three_plus_three_max_n_below_six_per_level_truncates():
    section = SECTION.validate_python({"design": "3+3A", "start_dose": "DL1", "max_n": 9})
    design = design_for(section, dose_levels=LEVELS)
    assert design.max_n == 9
    assert design.terminal_states().n.sum(axis=1).max() == 9
    r = design.recommend("1NNN 2NTN 2NNN")
    assert not r.continue_trial and "maximum sample size 9" in r.reason


@pytest.mark.parametrize(("section", "levels", "path", "message"), [
    ({"design": "boin", "target": 0.3, "start_dose": "DL9", "max_n": 12}, LEVELS, ("escalation", "start_dose"),
     "not a dose level"),
    ({"design": "crm", "target": 0.3, "skeleton": [0.1, 0.2], "start_dose": "DL1", "max_n": 12}, LEVELS,
     ("escalation", "skeleton"), "2 values for 3 dose levels"),
    ({"design": "boin", "target": 0.7, "start_dose": "DL1", "max_n": 12}, LEVELS, ("escalation",),
     "target is too high"),
    ({"design": "3+3A", "start_dose": "DL1", "max_n": 12}, [], ("dose_levels",), "at least one dose level"),
])
def test_unusable_sections_name_the_protocol_key(section, levels, path, message):
    with pytest.raises(ProtocolDesignError, match=message) as err:
        design_for(SECTION.validate_python(section), dose_levels=levels)
    assert err.value.path == path
    assert str(err.value).startswith(".".join(str(p) for p in path))


def test_schema_refuses_a_3_plus_3_in_other_cohort_sizes_and_unknown_keys():
    with pytest.raises(ValidationError, match="cohorts of 3"):
        SECTION.validate_python({"design": "3+3A", "start_dose": "DL1", "max_n": 12, "cohort_size": 4})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SECTION.validate_python({"design": "keyboard", "target": 0.3, "half_width": 0.05, "start_dose": "DL1",
                                 "max_n": 12})
    with pytest.raises(ValidationError):
        SECTION.validate_python({"design": "crm", "target": 0.3, "skeleton": [0.1, 0.2, 0.3], "start_dose": "DL1",
                                 "max_n": 12, "prior_variance": float("inf")})


# ---- the command uses the same names, and builds through design_for ---------------------------------------
def test_cli_design_names_and_flags_are_the_protocol_keys():
    designs = {value for cls in _blocks() for value in typing.get_args(cls.model_fields["design"].annotation)}
    assert set(design_cli.DESIGNS) == designs
    keys = {key for cls in _blocks() for key in cls.model_fields} - {"design"}
    assert set(design_cli.PARAMETERS) == keys


@pytest.mark.parametrize("name", list(EVERY_KEY))
def test_cli_flags_build_the_same_design_as_the_protocol_section(name):
    section = EVERY_KEY[name]
    argv = ["design", "next", "--doses", "3"]
    for key, value in section.items():
        flag = "--" + key.replace("_", "-")
        if key == "start_dose":
            argv += [flag, str(LEVELS.index(value) + 1)]
        elif value is True and key in ("extrasafe", "bound_mtd"):
            argv.append(flag)
        elif isinstance(value, list):
            argv += [flag, ",".join(str(v) for v in value)]
        else:
            argv += [flag, str(value).lower() if isinstance(value, bool) else str(value)]
    args = build_parser().parse_args(argv)
    from_flags = design_cli.build_design(args)
    from_protocol = design_for(SECTION.validate_python(section), dose_levels=LEVELS)
    assert from_flags == from_protocol
    assert isinstance(from_flags, (ThreePlusThree, IntervalDesign, CRM))
