"""Validation of item vectors shared by the item-level instruments.

The missing-item rule is the same for every instrument we ship: the publishers' proration rules
(where any exist) are in licensed manuals, so a missing item is refused, never zeroed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TypeGuard

from celltrial.capture.instruments.errors import ItemCountError, ItemValueError, MissingItemError

ItemValue = int | float | None


def is_whole_number(value: object) -> TypeGuard[int | float]:
    """True for an int, or a finite float with no fractional part (bool is refused).

    Checked before any ``int(value)``: ``int(float('inf'))`` raises OverflowError and
    ``int(float('nan'))`` ValueError, which would surface as a traceback, not a coordinator message.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return float(value) == int(value)


def require_items(
    instrument: str,
    items: Sequence[ItemValue],
    count: int,
    allowed: Iterable[float],
    *,
    allowed_text: str,
    missing_reason: str = "the publisher's proration rule is not public, so missing items are refused",
) -> tuple[float, ...]:
    """Return the items as numbers after checking count, missing values and allowed values.

    Item numbers in messages are 1-based, as on the rating form.
    """
    values = list(items)
    if len(values) != count:
        raise ItemCountError(f"{instrument} needs exactly {count} items, got {len(values)}")
    missing = [i for i, v in enumerate(values, start=1) if v is None]
    if missing:
        shown = ", ".join(str(i) for i in missing[:10]) + (" …" if len(missing) > 10 else "")
        raise MissingItemError(
            f"{instrument}: item(s) {shown} missing; {missing_reason} (never counted as 0)"
        )
    allowed_set = frozenset(float(a) for a in allowed)
    out: list[float] = []
    for number, value in enumerate(values, start=1):
        # bool is an int subclass; a True/False slipping in would be scored as 1/0 silently.
        if isinstance(value, bool) or not isinstance(value, int | float) or float(value) not in allowed_set:
            raise ItemValueError(f"{instrument} item {number}: {value!r} is not allowed ({allowed_text})")
        out.append(float(value))
    return tuple(out)
