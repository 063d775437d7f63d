"""Expectedness against the reference safety information (RSI) version in force.

ICH E2A (1994) §II.C: an adverse reaction is *unexpected* when its nature or severity is not
consistent with the applicable product information — for an investigational product, the
Investigator's Brochure. The RSI is versioned; the version that decides is the one in force when
the sponsor first became aware of the case (domain note clinical.md §3.2: "reference safety
information = IB version in force"; CDE 2018 快速报告: Day 0 = the sponsor's first knowledge). An expected term may carry a maximum expected grade: a more severe
occurrence is unexpected (E2A §II.C: "reports which add significant information on the specificity
or severity of a known, already documented serious ADR constitute unexpected events").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from celltrial.safety.rules.errors import SafetyRuleError


@dataclass(frozen=True)
class RsiVersion:
    version: str
    effective_from: date
    # expected term key (CTCAE term key or MedDRA PT code or a lower-cased term) -> max expected grade or None
    expected: Mapping[str, int | None]


@dataclass(frozen=True)
class Expectedness:
    expected: bool
    rsi_version: str
    reason: str


def normalise(term: str) -> str:
    return " ".join((term or "").strip().lower().replace("_", " ").split())


def in_force(versions: Iterable[RsiVersion], on: date) -> RsiVersion | None:
    """The latest version effective on or before ``on``."""
    candidates = [v for v in versions if v.effective_from <= on]
    return max(candidates, key=lambda v: (v.effective_from, v.version)) if candidates else None


def assess(versions: Iterable[RsiVersion], *, on: date, terms: Iterable[str], grade: int | None) -> Expectedness:
    """Expectedness of an event known by ``terms`` (CTCAE key, MedDRA PT code, verbatim) at ``grade``."""
    version = in_force(list(versions), on)
    if version is None:
        raise SafetyRuleError(f"sponsor awareness: no reference safety information was in force on {on}")
    expected = {normalise(k): v for k, v in version.expected.items()}
    for term in terms:
        key = normalise(term)
        if not key or key not in expected:
            continue
        limit = expected[key]
        if limit is not None and grade is not None and grade > limit:
            return Expectedness(False, version.version,
                                f"'{term}' is listed in RSI {version.version} up to grade {limit}; grade {grade} "
                                "is more severe than expected")
        return Expectedness(True, version.version, f"'{term}' is listed in RSI {version.version}")
    return Expectedness(False, version.version, f"not listed in RSI {version.version}")
