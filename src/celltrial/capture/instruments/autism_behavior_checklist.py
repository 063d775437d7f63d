"""Autism Behavior Checklist (Krug, Arick & Almond 1980; 孤独症行为量表, the "ABC" of Chinese clinics).

57 behaviours, each marked present (1) or absent (0); a present item scores its fixed weight (1-4).
Five areas: Sensory (S), Relating (R), Body and Object use (B), Language (L), Social and self-help
(S). Total = sum of the weights of the present items (maximum 158 in the common key).
Source: Krug DA, Arick J, Almond P. J Child Psychol Psychiatry 1980;21:221-229.

Why the key is user-loadable, not shipped: the public copies of the weights and area assignment
we could find disagree with one another (English form "from Krug, Arick and Almond" for items
1-28, Chinese clinic forms, a Brazilian adaptation [Marteleto & Pedromônico 2005] which differs
on items 15 and 24, and Chinese apps with different weights). We could not check them against
Table 1 of the 1980 paper, so the site must load the key it validated against the paper or its
licensed form (``load_krug_key``). Without a key, scoring raises ``ScoringKeyError``.

Key file (JSON)::

    {"source": "Krug 1980 Table 1, checked by …",
     "items": [{"item": 1, "weight": 4, "area": "body_object"}, … 57 entries …],
     "bands": [{"code": "…", "label_en": "…", "label_zh": "…", "min": 0, "max": 52}, …]}  # optional

Areas must be the five codes in ``AREAS``. Missing items are refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from celltrial.capture.instruments.bands import Band, BandRule, BandTable, resolve_band
from celltrial.capture.instruments.errors import ItemCountError, ScoringKeyError
from celltrial.capture.instruments.items import ItemValue, require_items
from celltrial.capture.instruments.result import InstrumentScore, Subscale

CODE = "ABC_KRUG57"
ITEM_COUNT = 57
KEY_ENV = "CELLTRIAL_ABC_KRUG57_KEY"
SOURCE = "Krug DA, Arick J, Almond P. J Child Psychol Psychiatry 1980;21:221-229 (key loaded by the site)"

AREAS: tuple[tuple[str, str, str], ...] = (
    ("sensory", "Sensory (S)", "感觉 (S)"),
    ("relating", "Relating (R)", "交往 (R)"),
    ("body_object", "Body and object use (B)", "躯体运动 (B)"),
    ("language", "Language (L)", "语言 (L)"),
    ("social_self_help", "Social and self-help (S)", "生活自理 (S)"),
)
_AREA_CODES = tuple(code for code, _, _ in AREAS)


@dataclass(frozen=True)
class KrugKey:
    """Weights (1-4) and areas of the 57 items, plus optional cut-off bands, with their source."""

    weights: tuple[int, ...]
    areas: tuple[str, ...]
    source: str
    bands: BandTable | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> KrugKey:
        source = data.get("source")
        if not isinstance(source, str) or not source.strip():
            raise ScoringKeyError(f"{CODE} key: 'source' (where the key was checked) is required")
        entries = data.get("items")
        if not isinstance(entries, list) or len(entries) != ITEM_COUNT:
            raise ScoringKeyError(f"{CODE} key: 'items' must list exactly {ITEM_COUNT} entries")
        by_item: dict[int, tuple[int, str]] = {}
        for entry in entries:
            if not isinstance(entry, Mapping):
                raise ScoringKeyError(f"{CODE} key: each item entry must be an object")
            item, weight, area = entry.get("item"), entry.get("weight"), entry.get("area")
            if not isinstance(item, int) or not 1 <= item <= ITEM_COUNT or item in by_item:
                raise ScoringKeyError(
                    f"{CODE} key: item number {item!r} invalid or repeated (1-{ITEM_COUNT})"
                )
            if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 4:
                raise ScoringKeyError(f"{CODE} key item {item}: weight {weight!r} must be an integer 1-4")
            if area not in _AREA_CODES:
                raise ScoringKeyError(
                    f"{CODE} key item {item}: area {area!r} must be one of {', '.join(_AREA_CODES)}"
                )
            by_item[item] = (weight, str(area))
        ordered = [by_item[n] for n in range(1, ITEM_COUNT + 1)]
        return cls(
            weights=tuple(w for w, _ in ordered),
            areas=tuple(a for _, a in ordered),
            source=source,
            bands=_bands_from(data.get("bands"), source),
        )


def _bands_from(raw: Any, source: str) -> BandTable | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw:
        raise ScoringKeyError(f"{CODE} key: 'bands' must be a non-empty list when given")
    rules = []
    for entry in raw:
        try:
            band = Band(str(entry["code"]), str(entry["label_en"]), str(entry["label_zh"]))
            rules.append(BandRule(band, entry.get("min"), entry.get("max")))
        except (KeyError, TypeError) as exc:
            raise ScoringKeyError(f"{CODE} key: band entry {entry!r} needs code, label_en, label_zh") from exc
    # A site-loaded key is the site's validated configuration, hence "verified" for its own use.
    return BandTable(f"{CODE} site key", tuple(rules), source, verified=True)


def load_krug_key(path: str | os.PathLike[str] | None = None) -> KrugKey:
    """Load the key from ``path`` or from the file named by ``$CELLTRIAL_ABC_KRUG57_KEY``."""
    chosen = path if path is not None else os.environ.get(KEY_ENV)
    if not chosen:
        raise ScoringKeyError(
            f"{CODE}: no scoring key loaded; the item weights/areas are not shipped because they could "
            f"not be verified against Krug 1980 — give a key file (--key FILE or ${KEY_ENV})"
        )
    try:
        data = json.loads(Path(chosen).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScoringKeyError(f"{CODE}: cannot read key file {chosen}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ScoringKeyError(f"{CODE}: key file {chosen} must hold a JSON object")
    return KrugKey.from_mapping(data)


def score_abc_krug(items: Sequence[ItemValue], key: KrugKey | None) -> InstrumentScore:
    """Score the 57-item Autism Behavior Checklist with a site-loaded key."""
    if len(items) == 58:
        raise ItemCountError(
            f"{CODE} needs exactly {ITEM_COUNT} items, got 58 — a 58-item vector is the Aberrant Behavior "
            "Checklist (Aman 1985): score it as ABC_AMAN58"
        )
    values = require_items(CODE, items, ITEM_COUNT, (0, 1), allowed_text="0 = absent, 1 = present")
    if key is None:
        raise ScoringKeyError(f"{CODE}: no scoring key loaded (see load_krug_key / ${KEY_ENV})")
    subscales = []
    for code, en, zh in AREAS:
        numbers = [i for i, area in enumerate(key.areas) if area == code]
        subscales.append(
            Subscale(
                code=code,
                label_en=en,
                label_zh=zh,
                score=int(sum(values[i] * key.weights[i] for i in numbers)),
                maximum=sum(key.weights[i] for i in numbers),
            )
        )
    total = int(sum(v * w for v, w in zip(values, key.weights, strict=True)))
    band = resolve_band(key.bands, total)
    notes = [f"scoring key: {key.source}"]
    if band.note:
        notes.append(band.note)
    return InstrumentScore(
        instrument=CODE,
        total=total,
        subscales=tuple(subscales),
        band=band.band,
        band_table=band.table,
        notes=tuple(notes),
        source=SOURCE,
    )
