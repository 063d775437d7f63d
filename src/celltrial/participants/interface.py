"""What the participants room offers other rooms (the capture and exports rooms, as they arrive).

- :func:`entry_refusal`: whether data entry for a participant at a visit is open, and if not why (a code
  from ``participants.messages.REFUSALS``): no valid consent, procedures paused by a dissent,
  withdrawal, or re-consent due at an earlier visit;
- :func:`data_use_allowed`: whether the data collected so far may be used (False after a withdrawal that
  said no);
- :func:`subject_label`: the pseudonymous label a clinical record shows (subject ID, else screening number).
"""

from __future__ import annotations

from typing import Any

from celltrial.participants import state
from celltrial.participants.models import Withdrawal

__all__ = ["Dosing", "data_use_allowed", "dosed_participants", "dosing", "entry_refusal", "subject_label"]


def entry_refusal(participant: Any, visit_code: str | None) -> str | None:
    return state.entry_refusal(participant, visit_code)


def data_use_allowed(participant: Any) -> bool:
    withdrawal = Withdrawal.objects.filter(participant=participant).values_list("data_use_allowed", flat=True).first()
    return True if withdrawal is None else bool(withdrawal)


def subject_label(participant: Any) -> str:
    return str(participant.subject_id or participant.screening_number)


# --- Agreed this round (bodies may be refined by their owners; the signatures hold) ---------------------------

import datetime as dt  # noqa: E402
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class Dosing:
    """A participant's dosing: the day (Day 0), the dose level and the cohort number."""

    dosed_on: dt.date
    dose_level: str
    cohort: int | None


def dosing(participant: Any) -> Dosing | None:
    """The participant's dosing, or None when the child has not been dosed."""
    if participant.dosed_on is None:
        return None
    return Dosing(participant.dosed_on, participant.dose_level, participant.cohort)


def dosed_participants() -> list[Any]:
    """Every dosed participant (all sites; callers scope for display), in dosing order."""
    from celltrial.participants.models import Participant

    return list(Participant.objects.filter(dosed_on__isnull=False).select_related("site")
                .order_by("dosed_on", "subject_id"))
