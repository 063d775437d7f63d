"""The designs' reasons in the reader's language.

The designs (``escalation.designs``, pure) give their reasons as :class:`~celltrial.core.messages.Msg`:
English text carrying its message id and parameters, as the product rules do (``product.messages``).
:func:`render` translates the id through the room's catalog and fills in the parameters, translating those
that are themselves messages (the decision word, the MTD selection inside a stopping reason). Plain strings
are returned as they are.

An SRC packet frozen since reasons became messages keeps the reason's id and parameters beside its data
(``snapshot["reason_message"]``, outside ``data`` so that the data hash, and with it "changed since the
snapshot", is what it was); :func:`packet_reason` renders it, and renders an older packet's English text as
it was frozen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext

from celltrial.core import messages
from celltrial.core.messages import Msg


def render(value: Any) -> str:
    return messages.render(value, gettext)


def message_json(value: Any) -> dict[str, Any] | None:
    """What a packet keeps of a reason so it renders in either language: its id and parameters."""
    return value.to_json() if isinstance(value, Msg) else None


def packet_reason(snapshot: Mapping[str, Any]) -> str:
    """The recommendation's reason of a frozen packet in the active language (an older packet, frozen with
    the English text only, shows that text)."""
    english = snapshot["data"]["recommendation"]["reason"]
    stored = snapshot.get("reason_message")
    if not isinstance(stored, Mapping):
        return english
    try:
        msg = Msg.from_json(stored)
    except (KeyError, ValueError, TypeError):
        return english
    if str(msg) != english:  # the id and parameters must give the text the members reviewed
        return english
    return render(msg)
