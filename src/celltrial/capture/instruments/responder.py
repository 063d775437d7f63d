"""Change from baseline, percent change, and the RUPP responder rule used in ASD trials.

RUPP Autism Network (McCracken JT et al., N Engl J Med 2002;347:314-321): a positive response is
a reduction of at least 25 % in the ABC Irritability subscale score from baseline **and** a CGI-I
rating of 1 (very much improved) or 2 (much improved). Definition as tabulated for McCracken et al.
in Neuropsychiatr Dis Treat 2018;14:1811, Table 1 ("≥25% reduction in the ABC-I score and CGI-I
score = 1 or 2"). The percent reduction is undefined when the baseline is 0, so such a participant
is *not evaluable* (not a non-responder); a CGI-I of 0 (not assessed) is also not evaluable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from fractions import Fraction

from celltrial.capture.instruments.errors import ItemValueError, NotEvaluableError

RUPP_MIN_REDUCTION = Fraction(25, 100)
ABC_IRRITABILITY_MAX = 45
RUPP_SOURCE = "RUPP Autism Network, McCracken JT et al. N Engl J Med 2002;347:314-321"


def change_from_baseline(baseline: float, value: float) -> float:
    """Post-baseline value minus baseline (negative = decrease)."""
    return value - baseline


def percent_change(baseline: float, value: float) -> float:
    """100 × (value − baseline) / baseline; refused (``NotEvaluableError``) when baseline is 0."""
    if baseline == 0:
        raise NotEvaluableError("percent change is undefined when the baseline score is 0")
    return 100.0 * (value - baseline) / baseline


class ResponderStatus(Enum):
    RESPONDER = "responder"
    NON_RESPONDER = "non_responder"
    NOT_EVALUABLE = "not_evaluable"


@dataclass(frozen=True)
class ResponderResult:
    status: ResponderStatus
    irritability_change: int
    irritability_percent_change: float | None
    cgi_i: int
    reason: str
    source: str = RUPP_SOURCE


def _irritability(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ABC_IRRITABILITY_MAX:
        raise ItemValueError(
            f"{field}: {value!r} must be an ABC Irritability score, integer 0-{ABC_IRRITABILITY_MAX}"
        )
    return value


def rupp_responder(irritability_baseline: int, irritability_now: int, cgi_i: int) -> ResponderResult:
    """Apply the RUPP 2002 responder rule (≥25 % ABC-I reduction and CGI-I 1-2)."""
    base = _irritability("ABC Irritability at baseline", irritability_baseline)
    now = _irritability("ABC Irritability at visit", irritability_now)
    if isinstance(cgi_i, bool) or not isinstance(cgi_i, int) or not 0 <= cgi_i <= 7:
        raise ItemValueError(f"CGI-I: {cgi_i!r} must be an integer 0-7 (0 = not assessed)")
    change = now - base
    if base == 0:
        return ResponderResult(
            ResponderStatus.NOT_EVALUABLE,
            change,
            None,
            cgi_i,
            "baseline ABC Irritability is 0: no reduction possible",
        )
    pct = percent_change(base, now)
    if cgi_i == 0:
        return ResponderResult(ResponderStatus.NOT_EVALUABLE, change, pct, cgi_i, "CGI-I not assessed (0)")
    # Exact rational comparison so that e.g. 12 → 9 (exactly 25 %) is never lost to rounding.
    reduced_enough = Fraction(base - now, base) >= RUPP_MIN_REDUCTION
    improved = cgi_i <= 2
    if reduced_enough and improved:
        return ResponderResult(
            ResponderStatus.RESPONDER, change, pct, cgi_i, "≥25 % ABC-I reduction and CGI-I ≤2"
        )
    reasons = []
    if not reduced_enough:
        reasons.append("ABC-I reduction <25 %")
    if not improved:
        reasons.append("CGI-I >2")
    return ResponderResult(ResponderStatus.NON_RESPONDER, change, pct, cgi_i, " and ".join(reasons))
