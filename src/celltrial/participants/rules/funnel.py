"""The screening funnel: pre-screened → screened → eligible → consented → enrolled → dosed.

Each stage counts the children who reached it *and every stage before it* (a consented child who
is not yet eligible is counted as screened only), so the funnel narrows by construction and each
step's conversion is a share of the step before. Pre-screening keeps no personal data, so it is a
count of log entries, not of children; a child screened without a log entry still counts as screened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

STAGES = ("prescreened", "screened", "eligible", "consented", "enrolled", "dosed")


@dataclass(frozen=True)
class Child:
    """A child's furthest stages; ``count`` children alike may be given as one (counted in the database)."""

    site: str
    eligible: bool = False
    consented: bool = False
    enrolled: bool = False
    dosed: bool = False
    count: int = 1


@dataclass
class Counts:
    prescreened: int = 0
    screened: int = 0
    eligible: int = 0
    consented: int = 0
    enrolled: int = 0
    dosed: int = 0

    def as_list(self) -> list[tuple[str, int]]:
        return [(stage, getattr(self, stage)) for stage in STAGES]

    def conversion(self) -> list[tuple[str, int, float | None]]:
        """Each stage with its count and its share of the stage before (None for the first or after 0)."""
        rows: list[tuple[str, int, float | None]] = []
        previous: int | None = None
        for stage, n in self.as_list():
            rows.append((stage, n, None if not previous else n / previous))
            previous = n
        return rows


@dataclass
class Funnel:
    overall: Counts = field(default_factory=Counts)
    by_site: dict[str, Counts] = field(default_factory=dict)


def funnel(prescreened: Mapping[str, int], children: Iterable[Child]) -> Funnel:
    """Counts per site and overall; ``prescreened`` is the number of log entries per site."""
    result = Funnel()
    for site, n in prescreened.items():
        result.by_site.setdefault(site, Counts()).prescreened += n
        result.overall.prescreened += n
    for child in children:
        reached = ["screened"]
        if child.eligible:
            reached.append("eligible")
            if child.consented:
                reached.append("consented")
                if child.enrolled:
                    reached.append("enrolled")
                    if child.dosed:
                        reached.append("dosed")
        for counts in (result.by_site.setdefault(child.site, Counts()), result.overall):
            for stage in reached:
                setattr(counts, stage, getattr(counts, stage) + child.count)
    result.by_site = dict(sorted(result.by_site.items()))
    return result
