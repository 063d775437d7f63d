"""Dose-escalation designs: 3+3, BOIN, mTPI-2, i3+3, Keyboard and CRM, with exact and simulated
operating characteristics, and the time-to-event designs TITE-BOIN and TITE-CRM. Pure Python (NumPy/SciPy);
no Django.

    from celltrial.escalation.designs import boin
    design = boin(target=0.3, doses=6).stop_at_n(36)
    design.recommend("1NNN 2NTT").dose
    design.oc([0.05, 0.10, 0.20, 0.30, 0.45, 0.60])
"""

from .base import Design, MTDSelection, Recommendation
from .boundaries import BoinBoundaries, boin_boundaries, boin_lambdas
from .crm import CRM, DFCRM_PRIOR_VARIANCE, CRMModel, crm, dfcrm_crm, dfcrm_scale, getprior
from .exact import TerminalStates, exact_oc
from .interval import IntervalDesign, boin, i3plus3, keyboard, mtpi2
from .isotonic import isotonic_estimates, select_mtd, select_mtd_batch
from .oc import OperatingCharacteristics
from .outcomes import Cohort, counts, parse_outcomes
from .simulate import TrialPath, simulate_oc, simulate_trial
from .tables import DecisionTable, keyboard_target_key
from .threeplusthree import (
    VARIANTS,
    ThreePlusThree,
    enumerate_paths,
    storer_escalation_probability,
    three_plus_three,
)
from .tite import DEFAULT_TITE_SEED, TitePatient, TiteRecommendation, TiteTrialPath
from .tite_boin import TiteBoin, tite_boin, tite_boin_estimate
from .tite_crm import TiteCrm, tite_crm, tite_weights

__all__ = [
    "CRM",
    "DEFAULT_TITE_SEED",
    "DFCRM_PRIOR_VARIANCE",
    "VARIANTS",
    "BoinBoundaries",
    "CRMModel",
    "Cohort",
    "DecisionTable",
    "Design",
    "IntervalDesign",
    "MTDSelection",
    "OperatingCharacteristics",
    "Recommendation",
    "TerminalStates",
    "ThreePlusThree",
    "TiteBoin",
    "TiteCrm",
    "TitePatient",
    "TiteRecommendation",
    "TiteTrialPath",
    "TrialPath",
    "boin",
    "boin_boundaries",
    "boin_lambdas",
    "counts",
    "crm",
    "dfcrm_crm",
    "dfcrm_scale",
    "enumerate_paths",
    "exact_oc",
    "getprior",
    "i3plus3",
    "isotonic_estimates",
    "keyboard",
    "keyboard_target_key",
    "mtpi2",
    "parse_outcomes",
    "select_mtd",
    "select_mtd_batch",
    "simulate_oc",
    "simulate_trial",
    "storer_escalation_probability",
    "three_plus_three",
    "tite_boin",
    "tite_boin_estimate",
    "tite_crm",
    "tite_weights",
]
