"""The Chinese resident identity card number (GB 11643-1999, 公民身份号码).

18 characters: a 6-digit administrative-division code (GB/T 2260), the date of birth as YYYYMMDD, a
3-digit sequence whose parity gives the sex (odd: male, even: female), and a check character computed
with ISO 7064:1983 MOD 11-2 over the first 17 digits (10 is written 'X'). The standard's own example
is 11010519491231002X.
"""

from __future__ import annotations

import datetime as dt
import re

from celltrial.identifiers.iso7064 import mod11_2_check_character

_SHAPE = re.compile(r"^\d{17}[\dX]$")


def normalise(number: str) -> str:
    return number.strip().replace(" ", "").upper()


def problems(number: str, *, dob: dt.date | None = None, sex: str | None = None) -> list[str]:
    """What is wrong with ``number`` as codes: ``shape``, ``date``, ``check``, ``dob_mismatch``,
    ``sex_mismatch`` (``sex``: "1" male, "2" female, the data dictionary's codes)."""
    text = normalise(number)
    if not _SHAPE.match(text):
        return ["shape"]
    found = []
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        found.append("date")
        born = None
    if mod11_2_check_character(text[:17]) != text[17]:
        found.append("check")
    if dob is not None and born is not None and born != dob:
        found.append("dob_mismatch")
    if sex in ("1", "2") and (int(text[16]) % 2 == 1) != (sex == "1"):
        found.append("sex_mismatch")
    return found


def build(division: str, dob: dt.date, sequence: int) -> str:
    """A number of the standard's shape with its check character (for fictitious demo data)."""
    if not re.fullmatch(r"\d{6}", division) or not 0 <= sequence <= 999:
        raise ValueError("division is 6 digits and the sequence 0-999")
    body = f"{division}{dob:%Y%m%d}{sequence:03d}"
    return body + mod11_2_check_character(body)
