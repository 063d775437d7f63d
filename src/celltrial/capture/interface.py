"""What the capture room offers other rooms (escalation: instrument summaries in the SRC packet).

STUB until the capture room lands: the capture room replaces the body, not the signature.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["InstrumentSummary", "instrument_summaries"]


@dataclass(frozen=True)
class InstrumentSummary:
    """A scored instrument of one participant at one visit, with change from baseline."""

    participant_id: int
    subject: str
    instrument: str
    visit: str
    total: float | None
    change_from_baseline: float | None = None
    percent_change: float | None = None
    responder: bool | None = None


def instrument_summaries(participants: Iterable[Any]) -> list[InstrumentSummary]:
    """The scored instruments of these participants, by participant, instrument and visit order."""
    return []
