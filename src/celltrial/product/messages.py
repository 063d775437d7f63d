"""The product rules' reasons in the reader's language.

The pure rules (``product.rules``) give their reasons as :class:`~celltrial.core.messages.Msg`: English text
carrying its message id and parameters. :func:`render` translates the id through the room's catalog and
fills in the parameters, translating those that are themselves messages (custody event names, "at the
site"). Plain strings are returned as they are.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from celltrial.core import messages


def render(value: Any) -> str:
    return messages.render(value, gettext)
