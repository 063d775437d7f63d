"""Protocol errors: each issue names a file, a line and a field, for a coordinator to fix."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from celltrial.core.errors import InputError
from celltrial.study.protocol.limits import MAX_ISSUES_SHOWN

Path_ = tuple[str | int, ...]


def dotted(path: Sequence[str | int]) -> str:
    """('visits', 3, 'window', 'plus') -> 'visits[3].window.plus'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


@dataclass(frozen=True)
class Issue:
    file: str
    line: int | None
    field: str
    message: str
    csv_column: str | None = None  # the REDCap column header, for issues found in a data-dictionary CSV
    expression_column: int | None = None  # 1-based column inside a logic expression

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = self.field
        if self.csv_column:
            field += f' (column "{self.csv_column}")'
        return f"{where}: {field}: {self.message}"


@dataclass(frozen=True)
class LoadWarning:
    """Something REDCap accepts that celltrial loads with a documented fallback (docs/redcap.md)."""

    file: str
    line: int | None
    field: str
    message: str
    fallback: str
    csv_column: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        field = self.field
        if self.csv_column:
            field += f' (column "{self.csv_column}")'
        return f"{where}: {field}: warning: {self.message}; fallback: {self.fallback}"


class ProtocolError(InputError):
    """A protocol definition that cannot be used; `.issues` lists every problem found."""

    def __init__(self, issues: Iterable[Issue]):
        self.issues: list[Issue] = sorted(
            issues, key=lambda i: (i.file, i.line if i.line is not None else 0, i.field)
        )
        super().__init__(str(self))

    def __str__(self) -> str:
        # A file of 100,000 bad entries must not print 100,000 lines: the first ones say what is wrong.
        shown = [str(i) for i in self.issues[:MAX_ISSUES_SHOWN]]
        if len(self.issues) > MAX_ISSUES_SHOWN:
            shown.append(f"... and {len(self.issues) - MAX_ISSUES_SHOWN:,} more problems")
        return "\n".join(shown)
