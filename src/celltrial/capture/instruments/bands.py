"""Severity bands: a published cut-off table applied to a total or an entered score.

A band table carries its source and whether we verified it against a public source. Unverified
tables are shipped only as configuration: they are never applied unless the caller opts in, so an
unconfirmed cut-off can never silently label a participant.
"""

from __future__ import annotations

from dataclasses import dataclass

from celltrial.capture.instruments.errors import InstrumentInputError


@dataclass(frozen=True)
class Band:
    """A named band with English and Simplified Chinese labels."""

    code: str
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class BandRule:
    """``lower <= value <= upper`` (either bound may be open with ``None``)."""

    band: Band
    lower: float | None
    upper: float | None

    def contains(self, value: float) -> bool:
        if self.lower is not None and value < self.lower:
            return False
        return not (self.upper is not None and value > self.upper)


@dataclass(frozen=True)
class BandTable:
    """An ordered cut-off table with its source; ``verified`` says whether we confirmed it."""

    name: str
    rules: tuple[BandRule, ...]
    source: str
    verified: bool

    def classify(self, value: float) -> Band:
        for rule in self.rules:
            if rule.contains(value):
                return rule.band
        raise InstrumentInputError(f"{self.name}: value {value:g} is outside every band of the table")


@dataclass(frozen=True)
class BandResult:
    """The band derived for a score, or ``None`` with the reason it was not derived."""

    band: Band | None
    table: str | None
    note: str | None = None


def resolve_band(table: BandTable | None, value: float, *, allow_unverified: bool = False) -> BandResult:
    """Apply ``table`` to ``value``; an unverified table is applied only when explicitly allowed."""
    if table is None:
        return BandResult(None, None, "no published band table for this instrument/age")
    if not table.verified and not allow_unverified:
        return BandResult(
            None,
            table.name,
            f"band table '{table.name}' is not verified against a public source ({table.source}); "
            "enter the band from the licensed manual or opt in to the unverified table",
        )
    note = None if table.verified else f"UNVERIFIED band table: {table.source}"
    return BandResult(table.classify(value), table.name, note)
