"""The product rules' reasons in the reader's language.

The pure rules (``product.rules``) give their reasons as :class:`~celltrial.product.rules.messages.Msg`:
English text carrying its message id and parameters. :func:`render` translates the id through the room's
catalog and fills in the parameters, translating those that are themselves messages (custody event names,
"at the site"). Plain strings are returned as they are.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from celltrial.product.rules.messages import Msg


def render(value: Any) -> str:
    if isinstance(value, Msg):
        if not value.params:
            return gettext(value.msgid)
        params = {k: _param(v) for k, v in value.params.items()}
        try:
            return gettext(value.msgid) % params
        except (KeyError, ValueError, TypeError):  # a broken translation falls back to the English
            return value.msgid % params
    return "" if value is None else str(value)


def _param(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return gettext(", ").join(_param(v) for v in value)
    return render(value)
