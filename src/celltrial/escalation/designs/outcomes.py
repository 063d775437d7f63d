"""Outcome strings in the notation of the R package escalation (Brock 2019).

``"1NNN 2NTT"`` is two cohorts: three patients at dose 1 without a dose-limiting
toxicity (N), then three at dose 2 of whom two had one (T). Doses are 1-based,
cohorts are separated by white space, letters are case-insensitive.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

_COHORT = re.compile(r"^(\d+)([NTnt]+)$")


@dataclass(frozen=True)
class Cohort:
    """One cohort: the (1-based) dose it received and each patient's outcome (N or T)."""

    dose: int
    outcomes: str

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def dlts(self) -> int:
        return self.outcomes.count("T")

    def __str__(self) -> str:
        return f"{self.dose}{self.outcomes}"


def parse_outcomes(text: str | Sequence[Cohort] | None, n_doses: int | None = None) -> list[Cohort]:
    """Parse ``"1NNN 2NTT"`` into cohorts; raise ValueError naming the bad cohort."""
    if text is None:
        return []
    if not isinstance(text, str):
        return list(text)
    cohorts: list[Cohort] = []
    for i, token in enumerate(text.split(), start=1):
        m = _COHORT.match(token)
        if not m:
            raise ValueError(
                f"cohort {i} {token!r}: expected a dose number followed by N (no DLT) or T (DLT) per patient, "
                "e.g. '1NNN 2NTT'"
            )
        dose = int(m.group(1))
        if dose < 1:
            raise ValueError(f"cohort {i} {token!r}: doses are numbered from 1")
        if n_doses is not None and dose > n_doses:
            raise ValueError(f"cohort {i} {token!r}: dose {dose} is above the top dose {n_doses}")
        cohorts.append(Cohort(dose, m.group(2).upper()))
    return cohorts


def counts(cohorts: Iterable[Cohort], n_doses: int) -> tuple[np.ndarray, np.ndarray]:
    """Patients and DLTs per dose (0-based arrays of length ``n_doses``)."""
    n = np.zeros(n_doses, dtype=np.int64)
    y = np.zeros(n_doses, dtype=np.int64)
    for c in cohorts:
        if c.dose > n_doses:
            raise ValueError(f"cohort {c}: dose {c.dose} is above the top dose {n_doses}")
        n[c.dose - 1] += c.n
        y[c.dose - 1] += c.dlts
    return n, y


def format_outcomes(cohorts: Iterable[Cohort]) -> str:
    return " ".join(str(c) for c in cohorts)
