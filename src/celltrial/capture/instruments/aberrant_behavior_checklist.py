"""Aberrant Behavior Checklist (ABC; Aman, Singh, Stewart & Field 1985; ABC-2, Slosson 2017).

58 items, each rated 0 (not a problem) to 3 (problem is severe in degree). Each subscale is the
sum of its items; the total is the sum of all 58 (0-174). Key: Aman MG, Singh NN, Stewart AW,
Field CJ. Am J Ment Defic 1985;89(5):485-491 (subscale item key as used in the ABC manuals),
corroborated by public scoring code (FondaMental "ABCQuestionnaire" subscale_items) — see
/work/shared/domain/clinical.md §2. Item text is copyrighted and is not stored here.

Not to be confused with the Autism Behavior Checklist (Krug 1980) — see
``autism_behavior_checklist`` (code ``ABC_KRUG57``). A 57-item vector is refused here.

Missing items: the ABC-2 manual's handling of omitted items is not public, so any missing item
is refused (``MissingItemError``).
"""

from __future__ import annotations

from collections.abc import Sequence

from celltrial.capture.instruments.errors import ItemCountError
from celltrial.capture.instruments.items import ItemValue, require_items
from celltrial.capture.instruments.result import InstrumentScore, Subscale

CODE = "ABC_AMAN58"
ITEM_COUNT = 58
ITEM_MAX = 3
SOURCE = "Aman MG, Singh NN, Stewart AW, Field CJ. Am J Ment Defic 1985;89:485-491 (ABC-2, Slosson 2017)"

# (code, English name (ABC-2 name in brackets where it differs), Chinese name, item numbers)
SUBSCALE_KEY: tuple[tuple[str, str, str, tuple[int, ...]], ...] = (
    (
        "irritability",
        "I Irritability",
        "I 易激惹",
        (2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57),
    ),
    (
        "social_withdrawal",
        "II Lethargy/Social Withdrawal",
        "II 嗜睡/社交退缩",
        (3, 5, 12, 16, 20, 23, 26, 30, 32, 37, 40, 42, 43, 53, 55, 58),
    ),
    ("stereotypy", "III Stereotypic Behavior", "III 刻板行为", (6, 11, 17, 27, 35, 45, 49)),
    (
        "hyperactivity",
        "IV Hyperactivity/Noncompliance",
        "IV 多动/不服从",
        (1, 7, 13, 15, 18, 21, 24, 28, 31, 38, 39, 44, 48, 51, 54, 56),
    ),
    ("inappropriate_speech", "V Inappropriate Speech", "V 不恰当言语", (9, 22, 33, 46)),
)


def score_abc_aman(items: Sequence[ItemValue]) -> InstrumentScore:
    """Score the 58-item Aberrant Behavior Checklist: five subscales and the total."""
    if len(items) == 57:
        raise ItemCountError(
            f"{CODE} needs exactly {ITEM_COUNT} items, got 57 — a 57-item vector is the Autism Behavior "
            "Checklist (Krug 1980, 孤独症行为量表): score it as ABC_KRUG57"
        )
    values = require_items(CODE, items, ITEM_COUNT, range(ITEM_MAX + 1), allowed_text="integers 0-3")
    subscales = tuple(
        Subscale(
            code=code,
            label_en=en,
            label_zh=zh,
            score=int(sum(values[n - 1] for n in numbers)),
            maximum=ITEM_MAX * len(numbers),
        )
        for code, en, zh, numbers in SUBSCALE_KEY
    )
    return InstrumentScore(
        instrument=CODE,
        total=int(sum(values)),
        subscales=subscales,
        notes=("ASD trials usually analyse subscales (e.g. Irritability), not the total",),
        source=SOURCE,
    )
