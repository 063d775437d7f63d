"""Tokenizer: turns the text of an expression into a list of tokens.

Hand-written rather than regex-split so that every token knows its offset in
the source, which is what lets errors point at the exact column.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from celltrial.logic.errors import LogicSyntaxError


class Kind(enum.Enum):
    NUMBER = "number"
    STRING = "string"
    FIELD = "field"  # one [...] group; the parser joins [event][field]
    NAME = "name"  # function names and the keywords and/or/not/true/false
    OP = "operator"
    LPAREN = "'('"
    RPAREN = "')'"
    COMMA = "','"
    EOF = "end of expression"


@dataclass(frozen=True)
class Token:
    kind: Kind
    text: str  # raw text; for STRING and FIELD the text between the delimiters
    position: int  # 0-based offset of the first character
    end: int  # offset just past the last character

    def describe(self) -> str:
        if self.kind is Kind.EOF:
            return "end of expression"
        if self.kind is Kind.STRING:
            return "string"
        if self.kind is Kind.FIELD:
            return f"[{self.text}]"
        return f"'{self.text}'"


_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# "1e3" right after a number: REDCap documents no exponent notation in logic,
# and reading it as the number 1 followed by a name 'e3' helps nobody.
_EXPONENT = re.compile(r"[eE][-+]?[0-9]+(?![A-Za-z0-9_])")
_TWO_CHAR_OPS = ("<=", ">=", "<>", "!=")
_ONE_CHAR_OPS = "=<>+-*/^"
_DIGITS = "0123456789"

# Chinese input methods produce full-width punctuation that looks right on
# screen but is not REDCap syntax; say so instead of "unexpected character".
_FULL_WIDTH = {
    "（": "(",
    "）": ")",
    "，": ",",
    "【": "[",
    "】": "]",
    "［": "[",
    "］": "]",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "＝": "=",
    "＜": "<",
    "＞": ">",
    "＋": "+",
    "－": "-",
    "＊": "*",
    "／": "/",
}


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c.isspace():
            i += 1
            continue
        if (c == "#" or source.startswith("//", i)) and not source[source.rfind("\n", 0, i) + 1 : i].strip():
            # A comment line (REDCap: "# ..." or "// ..." at the start of a line of logic or a calculation).
            end = source.find("\n", i)
            i = n if end == -1 else end + 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and source[i + 1] in _DIGITS):
            m = _NUMBER.match(source, i)
            assert m is not None  # guarded by the test above
            exponent = _EXPONENT.match(source, m.end())
            if exponent:
                raise LogicSyntaxError(
                    f"exponent notation '{m.group()}{exponent.group()}' is not supported in logic; "
                    "write the number out in full",
                    source,
                    i,
                )
            tokens.append(Token(Kind.NUMBER, m.group(), i, m.end()))
            i = m.end()
        elif c in "'\"":
            close = source.find(c, i + 1)
            if close == -1:
                raise LogicSyntaxError(f"unterminated string (no closing {c})", source, i)
            tokens.append(Token(Kind.STRING, source[i + 1 : close], i, close + 1))
            i = close + 1
        elif c == "[":
            close = source.find("]", i + 1)
            inner_open = source.find("[", i + 1)
            if close == -1 or (inner_open != -1 and inner_open < close):
                raise LogicSyntaxError("'[' is never closed with ']'", source, i)
            tokens.append(Token(Kind.FIELD, source[i + 1 : close], i, close + 1))
            i = close + 1
        elif c == "]":
            raise LogicSyntaxError("unexpected ']' without a matching '['", source, i)
        elif c.isascii() and (c.isalpha() or c == "_"):
            m = _NAME.match(source, i)
            assert m is not None
            tokens.append(Token(Kind.NAME, m.group(), i, m.end()))
            i = m.end()
        elif c == "(":
            tokens.append(Token(Kind.LPAREN, c, i, i + 1))
            i += 1
        elif c == ")":
            tokens.append(Token(Kind.RPAREN, c, i, i + 1))
            i += 1
        elif c == ",":
            tokens.append(Token(Kind.COMMA, c, i, i + 1))
            i += 1
        elif source.startswith(("&&", "||"), i):
            # REDCap reads the JavaScript spellings as and / or.
            tokens.append(Token(Kind.NAME, "and" if c == "&" else "or", i, i + 2))
            i += 2
        elif source.startswith("==", i):
            raise LogicSyntaxError("'==' is not REDCap syntax; use '='", source, i)
        elif source.startswith(_TWO_CHAR_OPS, i):
            tokens.append(Token(Kind.OP, source[i : i + 2], i, i + 2))
            i += 2
        elif c in _ONE_CHAR_OPS:
            tokens.append(Token(Kind.OP, c, i, i + 1))
            i += 1
        elif c == "!":
            raise LogicSyntaxError("'!' is not REDCap syntax; use 'not' or '<>'", source, i)
        elif c in _FULL_WIDTH:
            raise LogicSyntaxError(f"full-width character '{c}'; use the ASCII '{_FULL_WIDTH[c]}'", source, i)
        else:
            # Control and other invisible characters are shown escaped.
            shown = c if c.isprintable() else repr(c)[1:-1]
            raise LogicSyntaxError(f"unexpected character '{shown}'", source, i)
    tokens.append(Token(Kind.EOF, "", n, n))
    return tokens
