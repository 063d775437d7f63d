"""Read a protocol source file as text, refusing what is not a small plain UTF-8 text file.

Every protocol file (the protocol, its included form files, its REDCap CSVs) goes through
`read_source_text`: it must be a regular file (a symlink to /dev/zero or a FIFO would be read, or
waited on, forever), within the size limits, strict UTF-8 (a UTF-8 byte-order mark is accepted, as
Excel and REDCap write one) and free of control characters other than tab and line breaks.
Included paths go through `confined_path`: they stay inside the protocol's folder.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from pathlib import Path, PurePath

from celltrial.study.protocol.errors import Issue
from celltrial.study.protocol.limits import MAX_FILE_BYTES, MAX_FILES, MAX_TOTAL_BYTES, ReadBudget, mib

FILE = "(file)"

# C0 controls except tab, line feed and carriage return; DEL; C1 controls (U+0085 included: YAML
# would take it for a line break, and the line numbers of every later issue would be wrong).
# U+FFFE and U+FFFF are not characters at all (a byte-swapped BOM, mostly).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_CONTROL_NAMES = {0x00: "NUL byte", 0x1B: "ESC character", 0x7F: "DEL character", 0xFFFE: "noncharacter",
                  0xFFFF: "noncharacter"}

# Not text at all: name what it is, so that the coordinator knows what to do.
_SIGNATURES = (
    (codecs.BOM_UTF32_LE, "the file is UTF-32 text; save it as UTF-8"),
    (codecs.BOM_UTF32_BE, "the file is UTF-32 text; save it as UTF-8"),
    (codecs.BOM_UTF16_LE, "the file is UTF-16 text; save it as UTF-8"),
    (codecs.BOM_UTF16_BE, "the file is UTF-16 text; save it as UTF-8"),
    (b"\x1f\x8b", "the file is gzip-compressed, not text; give the uncompressed file"),
    (b"PK\x03\x04", "the file is a ZIP archive (an Excel workbook?), not text; save it as CSV UTF-8"),
)


class SourceFileError(Exception):
    """A protocol file refused before it is parsed; `.issues` says why (file, and line where there is one)."""

    def __init__(self, issues: list[Issue]):
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _refuse(display: str, message: str, line: int | None = None) -> SourceFileError:
    return SourceFileError([Issue(display, line, FILE, message)])


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a FIFO, a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not an ordinary file"


def read_source_text(path: Path, display: str, budget: ReadBudget) -> str:
    """The text of one protocol file; raises SourceFileError naming the file (and line) when refused."""
    if budget.files_left <= 0:
        raise _refuse(display, f"a protocol may read at most {MAX_FILES} files, itself and its includes together")
    budget.files_left -= 1
    try:
        info = os.stat(path)  # follows symlinks: what matters is what would be read
    except (OSError, ValueError) as exc:
        raise _refuse(display, f"cannot read file: {getattr(exc, 'strerror', None) or exc}") from None
    _check_regular(info.st_mode, display)
    cap = min(MAX_FILE_BYTES, budget.bytes_left)
    _check_size(info.st_size, cap, display)
    # O_NONBLOCK: should the file be swapped for a FIFO after the check, do not wait for a writer.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _refuse(display, f"cannot read file: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as f:
        _check_regular(os.fstat(f.fileno()).st_mode, display)
        try:
            data = f.read(cap + 1)
        except OSError as exc:
            raise _refuse(display, f"cannot read file: {exc.strerror}") from None
    _check_size(len(data), cap, display)
    budget.bytes_left -= len(data)
    return decode_text(data, display)


def _check_regular(mode: int, display: str) -> None:
    if not stat.S_ISREG(mode):
        raise _refuse(display, f"not a regular file (it is {_kind(mode)}); a protocol file must be an ordinary "
                               "text file")


def _check_size(size: int, cap: int, display: str) -> None:
    if size <= cap:
        return
    if size > MAX_FILE_BYTES:
        raise _refuse(display, f"the file is larger than {mib(MAX_FILE_BYTES)}; a protocol file may be at most "
                               f"{mib(MAX_FILE_BYTES)} ({MAX_FILE_BYTES:,} bytes)")
    raise _refuse(display, f"the protocol and its included files together may be at most {mib(MAX_TOTAL_BYTES)}; "
                           "this file goes past that")


def decode_text(data: bytes, display: str) -> str:
    """Strict UTF-8 (after an optional BOM) without control characters; raises SourceFileError."""
    for signature, message in _SIGNATURES:
        if data.startswith(signature):
            raise _refuse(display, message, 1)
    start = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        text = data[start:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = start + exc.start
        raise _refuse(display, f"not valid UTF-8 (byte 0x{data[offset]:02X} at byte offset {offset}); "
                               "save the file as UTF-8 text", data.count(b"\n", 0, offset) + 1) from None
    bad = _CONTROL.search(text)
    if bad:
        index = bad.start()
        code = ord(bad.group())
        name = _CONTROL_NAMES.get(code, "control character")
        offset = start + len(text[:index].encode("utf-8"))
        hint = " (a binary file, or text saved as UTF-16?)" if code == 0 else ""
        raise _refuse(display, f"{name} U+{code:04X} at byte offset {offset}: a protocol file must be plain text, "
                               f"with tabs and line breaks as its only control characters{hint}",
                      text.count("\n", 0, index) + 1)
    return text


def confined_path(folder: Path, rel: str) -> Path:
    """Where `rel` (a path written in the protocol) leads, inside `folder`; raises ValueError saying why not.

    Absolute paths are refused; `..` and symlinks are followed, and the result must still be inside
    the folder, so a protocol cannot make the server read files it was not given.
    """
    if _CONTROL.search(rel):
        raise ValueError("the path holds a control character")
    if PurePath(rel).is_absolute() or rel.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", rel):
        raise ValueError("it is an absolute path; give a path relative to the protocol's folder")
    root = os.path.realpath(folder)
    target = os.path.realpath(os.path.join(root, rel))
    if os.path.commonpath([root, target]) != root:
        raise ValueError("it leads outside the protocol's folder; a protocol may include only files in its own "
                         "folder or below it")
    return Path(target)
