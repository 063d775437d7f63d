"""The one mapping from a protocol's ``escalation`` section to a design of the engine.

    from celltrial.escalation.protocol_design import design_for
    from celltrial.study.protocol import default_protocol_path, load_protocol

    protocol = load_protocol(default_protocol_path())
    design = design_for(protocol.escalation, dose_levels=protocol.dose_levels)
    design.recommend("1NNN 2NTN").dose       # 2: dose level 2 of the protocol (DL2)

Every consumer (the SRC decision packet, the platform's next-cohort logic, ``celltrial design``) builds
its design here and nowhere else, so the protocol's parameters reach the engine exactly as declared.
The protocol, the engine and the CLI share one vocabulary: every key of the escalation section (other
than ``design`` and ``start_dose``) is passed to the engine under its own name and in its own unit, so a
key without an engine counterpart fails here rather than being dropped. The two conversions that do
exist are each written once, next to the rule they serve: the Keyboard key width is halved into the
target key in ``designs.tables.keyboard_target_key``, and dfcrm's ``scale`` (a standard deviation) is
``designs.crm.dfcrm_scale(prior_variance)``.

What the engine receives:

- the number of dose levels, ``len(dose_levels)``; engine dose j (1-based) is ``dose_levels[j - 1]``;
- ``start_dose``: the position of that dose-level code in ``dose_levels``;
- for the time-to-event designs (``tite-boin``, ``tite-crm``), ``window_days`` (the DLT window; when
  the section leaves it out, ``design_for``'s ``dlt_window_days``, i.e. the protocol's ``dlt.window_days``),
  ``accrual_interval_days`` and ``accrual`` (the simulated arrivals of the operating characteristics),
  and ``max_pending_ratio`` (TITE-BOIN's accrual suspension) or ``weights`` (TITE-CRM), as given;
- ``cohort_size``, ``max_n`` and every other key as given. For the 3+3, ``max_n`` (which counts any
  expansion cohort too) caps the escalation at ``min(max_n, 6 × dose levels)``; the 3+3 rule itself
  never treats more than 6 per dose. The 3+3 ``target`` (optional) only sets the "treated above the MTD"
  threshold of the operating characteristics (default 0.3); it does not enter the rule.

Pure: no Django (an import-linter contract enforces it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from celltrial.core.errors import InputError
from celltrial.escalation.designs import CRM, Design, IntervalDesign, ThreePlusThree, TiteBoin, TiteCrm
from celltrial.study.protocol import schema
from celltrial.study.protocol.errors import Path_, dotted

# The 3+3 rule has no target; the engine still needs one threshold to report patients treated at doses
# whose true DLT probability exceeds it.
THREE_PLUS_THREE_REPORTING_TARGET = 0.3

EscalationSection = (
    schema.ThreePlusThree | schema.Boin | schema.Crm | schema.Mtpi2 | schema.I3plus3 | schema.Keyboard
    | schema.TiteBoin | schema.TiteCrm
)


class ProtocolDesignError(InputError):
    """The escalation section cannot be turned into a design; ``path`` is the offending protocol key."""

    def __init__(self, path: Path_, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{dotted(path)}: {message}")


def _code(level: schema.DoseLevel | str) -> str:
    return level if isinstance(level, str) else level.code


def design_for(escalation: EscalationSection, *, dose_levels: Sequence[schema.DoseLevel | str],
               dlt_window_days: float | None = None) -> Design:
    """The engine design a protocol's ``escalation`` section declares, over its ``dose_levels``.

    ``dose_levels`` are the protocol's dose levels in order (``protocol.dose_levels``), or just their
    codes. Raises :class:`ProtocolDesignError` naming the protocol key when the section cannot be used
    with these dose levels (a start dose that is not a level, a skeleton of the wrong length, a
    parameter the design's published rule does not allow).

    ``dlt_window_days`` (the protocol's ``dlt.window_days``) is the DLT window of a time-to-event design
    whose section does not set ``window_days`` itself.
    """
    codes = [_code(level) for level in dose_levels]
    if not codes:
        raise ProtocolDesignError(("dose_levels",), "a design needs at least one dose level")
    if escalation.start_dose not in codes:
        raise ProtocolDesignError(("escalation", "start_dose"),
                                  f"start dose {escalation.start_dose!r} is not a dose level "
                                  f"(one of {', '.join(codes)})")
    k = len(codes)
    common: dict[str, Any] = {"n_doses": k, "start_dose": codes.index(escalation.start_dose) + 1,
                              "design": escalation.design}
    # Same names on both sides: the section's keys are the engine's parameters.
    params = escalation.model_dump(exclude={"design", "start_dose"}, exclude_none=True)
    try:
        if isinstance(escalation, schema.ThreePlusThree):
            params.setdefault("target", THREE_PLUS_THREE_REPORTING_TARGET)
            params["max_n"] = min(escalation.max_n, 6 * k)
            return ThreePlusThree(**common, **params)
        if isinstance(escalation, (schema.TiteBoin, schema.TiteCrm)) and escalation.window_days is None:
            if dlt_window_days is None or dlt_window_days <= 0:
                raise ProtocolDesignError(("escalation", "window_days"),
                                          "a time-to-event design needs the DLT window: set window_days "
                                          "(or the protocol's dlt.window_days)")
            params["window_days"] = float(dlt_window_days)
        if isinstance(escalation, schema.Crm):  # also TITE-CRM
            if len(escalation.skeleton) != k:
                raise ProtocolDesignError(("escalation", "skeleton"),
                                          f"the skeleton has {len(escalation.skeleton)} values for {k} dose levels")
            del common["design"]
            crm_class = TiteCrm if isinstance(escalation, schema.TiteCrm) else CRM
            return crm_class(**common, **{**params, "skeleton": tuple(escalation.skeleton)})
        if isinstance(escalation, schema.TiteBoin):
            return TiteBoin(**common, **params)
        return IntervalDesign(**common, **params)
    except ProtocolDesignError:
        raise
    except ValueError as exc:
        raise ProtocolDesignError(("escalation",), str(exc)) from None
