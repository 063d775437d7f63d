"""The query workflow: open → answered → closed, and re-opened.

A coordinator or investigator answers an open query; a data manager or monitor closes it (open or
answered) or sends an answer back (answered → open); a closed query may be re-opened. The system
closes a check's query when the check passes again and re-opens one it auto-closed when it fails
again; a query closed by a person stays closed (the person accepted the value).
"""

from __future__ import annotations

from enum import StrEnum

from celltrial.capture.quality.rules.errors import QualityRefused


class Status(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class Action(StrEnum):
    ANSWER = "answer"
    CLOSE = "close"
    REOPEN = "reopen"


TRANSITIONS: dict[tuple[Action, Status], Status] = {
    (Action.ANSWER, Status.OPEN): Status.ANSWERED,
    (Action.CLOSE, Status.OPEN): Status.CLOSED,
    (Action.CLOSE, Status.ANSWERED): Status.CLOSED,
    (Action.REOPEN, Status.ANSWERED): Status.OPEN,
    (Action.REOPEN, Status.CLOSED): Status.OPEN,
}


def next_status(action: str, status: str) -> Status:
    """The status after ``action``; :class:`QualityRefused` when the workflow does not allow it."""
    try:
        key = (Action(action), Status(status))
    except ValueError:
        raise QualityRefused("unknown", f"unknown query action {action!r} or status {status!r}") from None
    if key not in TRANSITIONS:
        raise QualityRefused(f"{key[0].value}_from_{key[1].value}",
                             f"a query that is {key[1].value} cannot be given the action {key[0].value}")
    return TRANSITIONS[key]


def is_outstanding(status: str) -> bool:
    """Open or answered: the query still needs someone's action."""
    return status in (Status.OPEN, Status.ANSWERED)
