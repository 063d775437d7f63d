"""Culture arithmetic: population doublings and the hypoxic-incubator O2 check.

Population doublings: one doubling is a two-fold increase in cell number, so a passage seeded with
N_S cells and harvested with N_H cells adds PD = log2(N_H / N_S); cumulative PD (population doubling
level) is the sum over passages. Tracking cumulative PD rather than passage number is recommended for
MSC (RoosterBio, "Best Practices in MSC Culture: Tracking and Reporting Cellular Age Using Population
Doubling Level", 2014/2019, citing ICH Q5D's call to estimate population doublings for diploid cells).

Hypoxic culture: physiological marrow O2 is about 1–7 %; "hypoxic" MSC culture is typically 1–5 % O2
(domain note §4; e.g. PMC4960117 used 5 % vs 20 %). The 1–5 % alarm band is ILLUSTRATIVE and
configurable.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from celltrial.product.rules.errors import RuleInputError


@dataclass(frozen=True)
class PassageCount:
    """Cells seeded and harvested in one passage (total viable cells, not per cm²)."""

    seeded_cells: float
    harvested_cells: float


def _count(name: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleInputError(f"{name} must be a number of cells, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise RuleInputError(f"{name} must be a positive number of cells, got {value}")


def population_doublings(seeded_cells: float, harvested_cells: float) -> float:
    """PD = log2(harvested / seeded). Negative when fewer cells were harvested than seeded."""
    _count("seeded cell count", seeded_cells)
    _count("harvested cell count", harvested_cells)
    return math.log2(harvested_cells / seeded_cells)


def cumulative_population_doublings(passages: Iterable[PassageCount], starting_pd: float = 0.0) -> float:
    """Sum of the PD of each passage, added to ``starting_pd`` (e.g. the PD level of the seed bank)."""
    if not math.isfinite(starting_pd):
        raise RuleInputError(f"starting population doubling level must be a finite number, got {starting_pd}")
    total = starting_pd
    for index, passage in enumerate(passages, start=1):
        try:
            total += population_doublings(passage.seeded_cells, passage.harvested_cells)
        except RuleInputError as exc:
            raise RuleInputError(f"passage {index}: {exc}") from exc
    return total


class OxygenStatus(StrEnum):
    IN_BAND = "in band"
    BELOW_BAND = "below band"
    ABOVE_BAND = "above band"


@dataclass(frozen=True)
class OxygenBand:
    """Alarm band for incubator O2, in % (inclusive). Default 1–5 % is ILLUSTRATIVE."""

    low_percent: float = 1.0
    high_percent: float = 5.0

    def __post_init__(self) -> None:
        if not (0 <= self.low_percent < self.high_percent <= 100):
            raise RuleInputError(
                f"O2 alarm band must satisfy 0 ≤ low < high ≤ 100 %, got {self.low_percent}–{self.high_percent} %"
            )


@dataclass(frozen=True)
class OxygenCheck:
    o2_percent: float
    band: OxygenBand
    status: OxygenStatus

    @property
    def alarm(self) -> bool:
        return self.status is not OxygenStatus.IN_BAND

    @property
    def reason(self) -> str:
        band = f"{self.band.low_percent:g}–{self.band.high_percent:g} % O2"
        return f"O2 {self.o2_percent:g} % is {self.status.value} ({band})"


def check_oxygen(o2_percent: float, band: OxygenBand | None = None) -> OxygenCheck:
    """Classify an incubator O2 reading against the hypoxic alarm band."""
    band = band or OxygenBand()
    if isinstance(o2_percent, bool) or not isinstance(o2_percent, int | float) or not math.isfinite(o2_percent):
        raise RuleInputError(f"O2 reading must be a number of %, got {o2_percent!r}")
    if not 0 <= o2_percent <= 100:
        raise RuleInputError(f"O2 reading must be between 0 and 100 %, got {o2_percent}")
    if o2_percent < band.low_percent:
        status = OxygenStatus.BELOW_BAND
    elif o2_percent > band.high_percent:
        status = OxygenStatus.ABOVE_BAND
    else:
        status = OxygenStatus.IN_BAND
    return OxygenCheck(float(o2_percent), band, status)
