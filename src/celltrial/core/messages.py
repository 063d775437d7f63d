"""Reasons that pure rules give in English and a room shows in the reader's language.

A reason is a :class:`Msg`: the English text (it *is* a ``str``, so every caller that prints, joins,
compares or stores it keeps working) carrying its message id (the English template with ``%(name)s``
placeholders) and its parameters. Numbers are passed already formatted (``"0.250"``), so both languages
show the same digits; lists and tuples read "a, b, c"; a parameter may itself be a :class:`Msg` (a custody
event's name, the decision word inside a design's reason). :func:`render` gives the text in the language
of the ``translate`` function it is handed (the room's ``gettext``), so this module stays plain Python:
the product rules and the dose-escalation designs, pure libraries, build their reasons with it. Each room
keeps the ids in its own catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


class Msg(str):
    """English text with its message id and parameters."""

    msgid: str
    params: Mapping[str, Any]

    def __new__(cls, msgid: str, **params: Any) -> Msg:
        text = msgid % {k: _text(v) for k, v in params.items()} if params else msgid
        self = super().__new__(cls, text)
        self.msgid = msgid
        self.params = params
        return self

    def __reduce__(self) -> Any:  # pickles (the worker) and deep-copies as the id and parameters
        return (_rebuild, (self.msgid, dict(self.params)))

    def to_json(self) -> dict[str, Any]:
        """``{"msgid": ..., "params": {...}}`` with nested messages as the same shape (JSON-safe)."""
        return {"msgid": self.msgid,
                "params": {k: v.to_json() if isinstance(v, Msg) else v for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Msg:
        params = {k: cls.from_json(v) if isinstance(v, Mapping) else v
                  for k, v in (data.get("params") or {}).items()}
        return cls(str(data["msgid"]), **params)


def _rebuild(msgid: str, params: dict[str, Any]) -> Msg:
    return Msg(msgid, **params)


def render(value: Any, translate: Callable[[str], str]) -> str:
    """``value`` in the language of ``translate``: a :class:`Msg` by its translated id, with its parameters
    (messages among them) rendered too; a plain string as it is. A translation whose placeholders do not
    fit falls back to the English."""
    if isinstance(value, Msg):
        if not value.params:
            return translate(value.msgid)
        params = {k: _param(v, translate) for k, v in value.params.items()}
        try:
            return translate(value.msgid) % params
        except (KeyError, ValueError, TypeError):
            return value.msgid % params
    return "" if value is None else str(value)


def _param(value: Any, translate: Callable[[str], str]) -> str:
    if isinstance(value, (list, tuple)):
        return translate(", ").join(_param(v, translate) for v in value)
    return render(value, translate)
