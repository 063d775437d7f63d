"""The limits on what one protocol load may read (documented in docs/protocol-reference.md, "Limits").

A protocol file comes from a coordinator's desk, an e-mail or a shared drive; it must not be able
to exhaust the server's memory or time. The limits are far above any real protocol (the shipped
default is 52 KB in 10 files, some 6,500 values) and low enough that the worst protocol under them
is read in a second or two.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FILE_BYTES = 2 * 1024 * 1024  # one file: the protocol, an included form file or a REDCap CSV
MAX_TOTAL_BYTES = 8 * 1024 * 1024  # the protocol and everything it includes, together
MAX_FILES = 100  # files read for one protocol, the protocol itself included
MAX_VALUES = 200_000  # YAML values (keys, scalars, lists, mappings), counting what aliases expand to
CSV_ROW_VALUES = 19  # a data-dictionary row counts as its 18 cells and the row itself
MAX_ALIASES = 1_000  # alias uses (`*name`) in one YAML file
MAX_DEPTH = 64  # lists and mappings nested in one another, counting what aliases expand to
MAX_SCALAR_CHARS = 65_536  # one YAML value or one CSV cell
MAX_NUMBER_CHARS = 64  # one number (YAML 1.1 reads 1:2:3 as a base-60 number: keep that cheap)
MAX_ISSUES_SHOWN = 200  # issues printed by ProtocolError; all are kept in `.issues`


def mib(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB"


@dataclass
class ReadBudget:
    """What one protocol load may still read; shared by the protocol file and every file it includes."""

    bytes_left: int = MAX_TOTAL_BYTES
    files_left: int = MAX_FILES
    values_left: int = MAX_VALUES
