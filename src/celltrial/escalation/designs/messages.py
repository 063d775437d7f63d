"""Reasons of the designs' recommendations and MTD selections that the escalation room can translate.

A reason is a :class:`~celltrial.core.messages.Msg` (English text carrying its message id and parameters,
as the product rules give theirs). A parameter may itself be a message: the decision word (:func:`word`),
the MTD selection inside "stopping rule met; ...". The room renders it in the reader's language
(``escalation.messages.render``); the ids are in its catalog (``escalation/reason_catalog.py``). No Django
here: the designs are a pure library.
"""

from __future__ import annotations

from celltrial.core.messages import Msg

__all__ = ["Msg", "word"]


def word(decision: str) -> Msg:
    """The decision word ending a reason ("escalate", "stay", "de-escalate", "eliminate")."""
    return Msg(decision)
