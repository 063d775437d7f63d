"""What a unit's label carries, in English and Chinese (pure): the renderer only lays it out.

Content follows what a cellular-therapy label must carry (ICCBBA ST-004 / IG-003 and 21 CFR 1271
analogues, domain note §4): the unit identifier bar-coded and eye-readable, the proper name, lot, cell
count and concentration, volume, expiry, storage temperature; "For use by the intended recipient only"
once the unit is allocated to a participant; and, for an investigational product in China, "仅供临床试验
使用" (GCP 2020: the label states that the product is for clinical trial use only). No ISBT 128 product
code tables are used (they are licensed); the identifiers are celltrial's own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

CLINICAL_TRIAL_ONLY = ("For clinical trial use only", "仅供临床试验使用")
INTENDED_RECIPIENT_ONLY = ("For use by the intended recipient only", "仅供指定受试者使用")


@dataclass(frozen=True)
class LabelLine:
    label_en: str
    label_zh: str
    value: str


@dataclass(frozen=True)
class LabelContent:
    unit_id: str
    barcode_data: str
    product_en: str
    product_zh: str
    lines: tuple[LabelLine, ...]
    statements: tuple[tuple[str, str], ...]


def _cells(n: float) -> str:
    mantissa, exponent = f"{n:.2e}".split("e")
    return f"{mantissa} × 10^{int(exponent)}"


def label_content(
    *,
    unit_id: str,
    lot_id: str,
    product_en: str,
    product_zh: str,
    viable_cells: float,
    concentration_cells_per_ml: float,
    volume_ml: float,
    expires_at: dt.datetime,
    storage_en: str,
    storage_zh: str,
    time_zone: dt.tzinfo = dt.UTC,
    recipient: str | None = None,
) -> LabelContent:
    """The label of one unit. ``recipient`` is the allocated subject ID (it adds the intended-recipient line)."""
    expiry = expires_at.astimezone(time_zone)
    lines = [
        LabelLine("Unit", "单位编号", unit_id),
        LabelLine("Lot", "批号", lot_id),
        LabelLine("Viable cells", "活细胞数", _cells(viable_cells)),
        LabelLine("Concentration", "浓度", f"{_cells(concentration_cells_per_ml)} cells/mL"),
        LabelLine("Volume", "体积", f"{volume_ml:g} mL"),
        LabelLine("Expiry", "有效期至", expiry.strftime("%Y-%m-%d %H:%M %Z").strip()),
        LabelLine("Storage", "贮存条件", f"{storage_en} / {storage_zh}"),
    ]
    statements = [CLINICAL_TRIAL_ONLY]
    if recipient:
        lines.append(LabelLine("Recipient", "受试者", recipient))
        statements.append(INTENDED_RECIPIENT_ONLY)
    return LabelContent(unit_id, unit_id, product_en, product_zh, tuple(lines), tuple(statements))
