"""The scored result of one administration of one instrument."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from celltrial.capture.instruments.bands import Band


@dataclass(frozen=True)
class Subscale:
    """One subscale (area, domain) total with its bilingual name."""

    code: str
    label_en: str
    label_zh: str
    score: float
    maximum: float


@dataclass(frozen=True)
class InstrumentScore:
    """Totals, subscales and band of one administration; ``total`` is ``None`` when not assessed."""

    instrument: str
    total: float | None
    subscales: tuple[Subscale, ...] = ()
    band: Band | None = None
    band_table: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""
    extra: tuple[tuple[str, Any], ...] = field(default=())

    def subscale(self, code: str) -> Subscale:
        for sub in self.subscales:
            if sub.code == code:
                return sub
        raise KeyError(code)

    def as_dict(self) -> dict[str, Any]:
        total: float | int | None = self.total
        if isinstance(total, float) and total.is_integer():
            total = int(total)
        return {
            "instrument": self.instrument,
            "total": total,
            "subscales": [
                {
                    "code": s.code,
                    "label_en": s.label_en,
                    "label_zh": s.label_zh,
                    "score": int(s.score) if float(s.score).is_integer() else s.score,
                    "maximum": int(s.maximum) if float(s.maximum).is_integer() else s.maximum,
                }
                for s in self.subscales
            ],
            "band": None
            if self.band is None
            else {"code": self.band.code, "label_en": self.band.label_en, "label_zh": self.band.label_zh},
            "band_table": self.band_table,
            "notes": list(self.notes),
            "source": self.source,
            **dict(self.extra),
        }
