"""Errors raised by the expression language.

Only *design-time* mistakes raise: a malformed expression, an unknown function,
a wrong argument count or a datediff unit REDCap would refuse.  Problems with
the *data* (a blank field, division by zero, text where a number was expected)
never raise; they make the result blank, as REDCap does.
"""

from __future__ import annotations

import unicodedata

from celltrial.core.errors import InputError


class LogicError(Exception):
    """Base class of every error the expression language raises."""


class LogicSyntaxError(LogicError, InputError):
    """A mistake in the text of an expression, located to the character.

    ``position`` is the 0-based offset in ``source``; ``line`` and ``column``
    are 1-based and refer to the line holding the mistake (REDCap logic may span
    several lines), so ``column`` is what a person counts on screen.
    """

    def __init__(self, message: str, source: str, position: int) -> None:
        position = max(0, min(position, len(source)))
        self.message = message
        self.source = source
        self.position = position
        line_start = source.rfind("\n", 0, position) + 1
        line_end = source.find("\n", position)
        if line_end == -1:
            line_end = len(source)
        self.line = source.count("\n", 0, position) + 1
        self.column = position - line_start + 1
        self.line_text = source[line_start:line_end]
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = f"at column {self.column}"
        if "\n" in self.source:
            where = f"at line {self.line}, column {self.column}"
        return f"{self.message} {where}\n  {self.line_text}\n  {self._caret_padding()}^"

    def _caret_padding(self) -> str:
        # Keep the caret under the right character even when the line holds
        # tabs or full-width (e.g. Chinese) characters, which a terminal draws
        # two cells wide.
        pad = []
        for ch in self.line_text[: self.column - 1]:
            if ch == "\t":
                pad.append("\t")
            elif unicodedata.east_asian_width(ch) in ("W", "F"):
                pad.append("  ")
            else:
                pad.append(" ")
        return "".join(pad)
