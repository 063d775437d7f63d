"""celltrial's own identifier formats, each ending in an ISO 7064 MOD 37-2 check character.

These are our formats (not ISBT 128). The check character is computed over the identifier with its
hyphens removed, so ``ASD-01-0007-?`` is protected as ``ASD010007``. A MOD 37-2 check character can be
any of 0-9, A-Z or '*' (value 36), so '*' is a legal last character.

=========  =================================  ==========================================
kind       layout                             example (payload -> full identifier)
=========  =================================  ==========================================
subject    ``SSS-NN-NNNN-C``                  study code (2-6 letters), 2-digit site,
                                              4-digit sequence: ``ASD-01-0007``
screening  ``SSS-NN-SNNNN-C``                 study code, 2-digit site, 'S' and a 4-digit
                                              screening sequence per site: ``ASD-01-S0012``
donor      ``D-YYYY-NNNN-C``                  year of registration, 4-digit sequence
lot        ``LYYYY-NNNN-C``                   year of manufacture, 4-digit sequence
unit       ``<lot>-UNN-C``                    a full lot id (with its own check character)
                                              and a 2-digit unit (bag) number
=========  =================================  ==========================================

A unit id carries two check characters: the lot's, so the lot part can be checked on its own, and
the unit's, computed over the lot payload and the unit number. The lot's check character is left
out of it because it may be '*', which MOD 37-2 cannot protect; the lot check guards it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from celltrial.core.errors import InputError
from celltrial.identifiers.iso7064 import CheckCharacterError, mod37_2_check_character


class IdentifierError(InputError):
    """An identifier is malformed or its check character does not match; the message says what is wrong."""


class IdentifierKind(StrEnum):
    SUBJECT = "subject"
    SCREENING = "screening"
    DONOR = "donor"
    LOT = "lot"
    UNIT = "unit"


_CHECK = r"(?P<check>[0-9A-Z*])"
_PATTERNS: dict[IdentifierKind, re.Pattern[str]] = {
    IdentifierKind.SUBJECT: re.compile(r"(?P<study>[A-Z]{2,6})-(?P<site>\d{2})-(?P<sequence>\d{4})"),
    IdentifierKind.SCREENING: re.compile(r"(?P<study>[A-Z]{2,6})-(?P<site>\d{2})-S(?P<sequence>\d{4})"),
    IdentifierKind.DONOR: re.compile(r"D-(?P<year>\d{4})-(?P<sequence>\d{4})"),
    IdentifierKind.LOT: re.compile(r"L(?P<year>\d{4})-(?P<sequence>\d{4})"),
    IdentifierKind.UNIT: re.compile(
        r"(?P<lot>L\d{4}-\d{4}-[0-9A-Z*])-U(?P<unit>\d{2})",
    ),
}
_LAYOUTS = {
    IdentifierKind.SUBJECT: "SSS-NN-NNNN-C (study code of 2-6 letters, 2-digit site, 4-digit sequence, check character)",
    IdentifierKind.SCREENING: "SSS-NN-SNNNN-C (study code of 2-6 letters, 2-digit site, S and a 4-digit screening "
                              "sequence, check character)",
    IdentifierKind.DONOR: "D-YYYY-NNNN-C (year, 4-digit sequence, check character)",
    IdentifierKind.LOT: "LYYYY-NNNN-C (year, 4-digit sequence, check character)",
    IdentifierKind.UNIT: "LYYYY-NNNN-C-UNN-C (full lot id, 2-digit unit number, check character)",
}


def _ascii(text: str) -> str:
    """The stripped, upper-cased text; non-ASCII refused.

    Python's ``\\d`` also matches non-Latin digits ('٠١', full-width '０１') and ``str.upper()`` maps
    'ß' to 'SS'; either would let a string that is not the printed identifier pass as valid.
    """
    cleaned = text.strip()
    if not cleaned.isascii():
        raise IdentifierError(
            f"{text!r} contains non-ASCII characters: identifiers use only 0-9, A-Z, '-' and '*'"
        )
    return cleaned.upper()


def _protect(payload: str) -> str:
    return mod37_2_check_character(payload.replace("-", ""))


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise IdentifierError(f"{name} must be between {low} and {high}, got {value}")


class _Checked:
    """An identifier: its payload, then a hyphen and the MOD 37-2 check character of the payload."""

    @property
    def payload(self) -> str:
        raise NotImplementedError

    @property
    def check(self) -> str:
        return _protect(self.payload)

    def __str__(self) -> str:
        return f"{self.payload}-{self.check}"


@dataclass(frozen=True)
class SubjectId(_Checked):
    study: str
    site: int
    sequence: int

    @property
    def payload(self) -> str:
        return f"{self.study}-{self.site:02d}-{self.sequence:04d}"


@dataclass(frozen=True)
class ScreeningNumber(_Checked):
    study: str
    site: int
    sequence: int

    @property
    def payload(self) -> str:
        return f"{self.study}-{self.site:02d}-S{self.sequence:04d}"


@dataclass(frozen=True)
class DonorId(_Checked):
    year: int
    sequence: int

    @property
    def payload(self) -> str:
        return f"D-{self.year:04d}-{self.sequence:04d}"


@dataclass(frozen=True)
class LotId(_Checked):
    year: int
    sequence: int

    @property
    def payload(self) -> str:
        return f"L{self.year:04d}-{self.sequence:04d}"


@dataclass(frozen=True)
class UnitId(_Checked):
    lot: LotId
    unit: int

    @property
    def payload(self) -> str:
        return f"{self.lot}-U{self.unit:02d}"

    @property
    def check(self) -> str:
        # The lot's own check character is left out: it may be '*', which MOD 37-2 cannot protect,
        # and the lot part is verified by its own check when the unit id is parsed.
        return _protect(f"{self.lot.payload}-U{self.unit:02d}")


Identifier = SubjectId | ScreeningNumber | DonorId | LotId | UnitId


def format_subject_id(study: str, site: int, sequence: int) -> str:
    """``format_subject_id("ASD", 1, 7)`` -> ``"ASD-01-0007-?"`` with its check character."""
    study = study.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,6}", study):
        raise IdentifierError(f"study code must be 2 to 6 letters A-Z, got {study!r}")
    _check_range("site number", site, 1, 99)
    _check_range("subject sequence number", sequence, 1, 9999)
    return str(SubjectId(study, site, sequence))


def format_screening_number(study: str, site: int, sequence: int) -> str:
    """``format_screening_number("ASD", 1, 12)`` -> ``"ASD-01-S0012-?"``: one per screening attempt at a site."""
    study = study.strip().upper()
    if not re.fullmatch(r"[A-Z]{2,6}", study):
        raise IdentifierError(f"study code must be 2 to 6 letters A-Z, got {study!r}")
    _check_range("site number", site, 1, 99)
    _check_range("screening sequence number", sequence, 1, 9999)
    return str(ScreeningNumber(study, site, sequence))


def format_donor_id(year: int, sequence: int) -> str:
    """``format_donor_id(2025, 12)`` -> ``"D-2025-0012-?"``."""
    _check_range("donor registration year", year, 2000, 2099)
    _check_range("donor sequence number", sequence, 1, 9999)
    return str(DonorId(year, sequence))


def format_lot_id(year: int, sequence: int) -> str:
    """``format_lot_id(2025, 3)`` -> ``"L2025-0003-?"``."""
    _check_range("lot year", year, 2000, 2099)
    _check_range("lot sequence number", sequence, 1, 9999)
    return str(LotId(year, sequence))


def format_unit_id(lot: str, unit: int) -> str:
    """``format_unit_id("L2025-0003-?", 7)`` -> ``"L2025-0003-?-U07-?"``; the lot id must itself be valid."""
    parsed_lot = parse_identifier(lot, IdentifierKind.LOT)
    assert isinstance(parsed_lot, LotId)
    _check_range("unit number", unit, 1, 99)
    return str(UnitId(parsed_lot, unit))


def _build(kind: IdentifierKind, match: re.Match[str]) -> Identifier:
    if kind is IdentifierKind.SUBJECT:
        return SubjectId(match["study"], int(match["site"]), int(match["sequence"]))
    if kind is IdentifierKind.SCREENING:
        return ScreeningNumber(match["study"], int(match["site"]), int(match["sequence"]))
    if kind is IdentifierKind.DONOR:
        return DonorId(int(match["year"]), int(match["sequence"]))
    if kind is IdentifierKind.LOT:
        return LotId(int(match["year"]), int(match["sequence"]))
    lot = parse_identifier(match["lot"], IdentifierKind.LOT)
    assert isinstance(lot, LotId)
    return UnitId(lot, int(match["unit"]))


def detect_kind(text: str) -> IdentifierKind | None:
    """Guess the kind of a (possibly corrupted) identifier from its shape; None if it fits no layout."""
    cleaned = text.strip().upper()
    for kind in (IdentifierKind.UNIT, IdentifierKind.LOT, IdentifierKind.DONOR, IdentifierKind.SUBJECT,
                 IdentifierKind.SCREENING):
        if re.fullmatch(_PATTERNS[kind].pattern + "-" + _CHECK, cleaned):
            return kind
    if cleaned.startswith("D-"):
        return IdentifierKind.DONOR
    if cleaned.startswith("L") and "-U" in cleaned:
        return IdentifierKind.UNIT
    if re.match(r"L\d", cleaned):
        return IdentifierKind.LOT
    if re.match(r"[A-Z]{2,6}-\d{2}-S", cleaned):
        return IdentifierKind.SCREENING
    if re.match(r"[A-Z]{2,6}-", cleaned):
        return IdentifierKind.SUBJECT
    return None


def parse_identifier(text: str, kind: IdentifierKind | None = None) -> Identifier:
    """Parse a full identifier (with check character) and verify it.

    ``kind`` restricts the expected layout; without it the layout is detected. Raises
    :class:`IdentifierError` saying which part is wrong: the layout, a number out of range, or a
    check character that does not match (with the expected one).
    """
    cleaned = _ascii(text)
    expected_kind = kind or detect_kind(cleaned)
    if expected_kind is None:
        layouts = "; ".join(f"{k.value}: {v}" for k, v in _LAYOUTS.items())
        raise IdentifierError(f"{text!r} does not look like any celltrial identifier ({layouts})")
    match = re.fullmatch(_PATTERNS[expected_kind].pattern + "-" + _CHECK, cleaned)
    if match is None:
        raise IdentifierError(
            f"{text!r} is not a valid {expected_kind.value} id: expected {_LAYOUTS[expected_kind]}"
        )
    try:
        identifier = _build(expected_kind, match)
    except IdentifierError as exc:
        raise IdentifierError(f"{text!r}: the lot part is wrong: {exc}") from exc
    except CheckCharacterError as exc:  # pragma: no cover - patterns only admit protectable characters
        raise IdentifierError(str(exc)) from exc
    if identifier.check != match["check"]:
        raise IdentifierError(
            f"{text!r}: check character {match['check']!r} does not match; expected "
            f"{identifier.check!r} for {identifier.payload} (mistyped or corrupted identifier)"
        )
    return identifier


def complete_identifier(payload: str) -> str:
    """Append the check character to an identifier typed without it (e.g. ``"ASD-01-0007"``)."""
    cleaned = _ascii(payload)
    for kind in (IdentifierKind.UNIT, IdentifierKind.LOT, IdentifierKind.DONOR, IdentifierKind.SUBJECT,
                 IdentifierKind.SCREENING):
        if match := re.fullmatch(_PATTERNS[kind].pattern, cleaned):
            # Building the identifier checks a unit's lot part and computes the check one way only.
            return str(_build(kind, match))
    raise IdentifierError(f"{payload!r} is not the body of any celltrial identifier")


@dataclass(frozen=True)
class IdentifierCheck:
    """Outcome of validating an identifier: never raises, so a UI can show the problem."""

    text: str
    kind: IdentifierKind | None
    valid: bool
    problem: str | None


def validate_identifier(text: str, kind: IdentifierKind | None = None) -> IdentifierCheck:
    """Validate ``text`` and return what is wrong instead of raising."""
    try:
        identifier = parse_identifier(text, kind)
    except IdentifierError as exc:
        return IdentifierCheck(text, kind or detect_kind(text), False, str(exc))
    return IdentifierCheck(text, _kind_of(identifier), True, None)


def _kind_of(identifier: Identifier) -> IdentifierKind:
    if isinstance(identifier, SubjectId):
        return IdentifierKind.SUBJECT
    if isinstance(identifier, ScreeningNumber):
        return IdentifierKind.SCREENING
    if isinstance(identifier, DonorId):
        return IdentifierKind.DONOR
    if isinstance(identifier, LotId):
        return IdentifierKind.LOT
    return IdentifierKind.UNIT
