"""Messages of the product rules that a room can translate.

A rule's reason is a :class:`Msg`: the English text (it *is* a ``str``, so every caller that prints, joins
or stores it keeps working), carrying its message id (the English template with ``%(name)s`` placeholders)
and its parameters. The product room renders it in the reader's language by translating the id and each
parameter that is itself a :class:`Msg` (``product.messages.render``); the ids are in the room's catalog.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


class Msg(str):
    """English text with its message id and parameters (lists and tuples of parameters read "a, b, c")."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        text = msgid % {k: _text(v) for k, v in params.items()} if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> Any:  # pickles (the worker) as the class with its id and parameters
        return (_rebuild, (self.msgid, dict(self.params)))


def _rebuild(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)
