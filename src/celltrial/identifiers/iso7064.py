"""ISO/IEC 7064 pure check-character systems: MOD 37-2 and MOD 11-2.

Only the public algorithm is implemented here (no ISBT 128 code tables, which are licensed).

MOD 37-2, as described for ISBT 128 donation identification numbers in the JPAC UK
"Red Book", Annex 2 "ISBT 128 check character calculation"
(https://www.transfusionguidelines.org/red-book/annex-2-isbt-128-check-character-calculation):

1. map each character to its value: 0-9 -> 0-9, A-Z -> 10-35, * -> 36 (Table A2.1);
2. weight the value at position n from the right-hand end by 2**n (rightmost payload char: n = 1);
3. sum the weighted values; 4. take the sum mod 37; 5. subtract from 38; 6. take mod 37.
The result is the checksum; the eye-readable check character is the character whose value is the
checksum, and the ISBT 128 bar-code check value is checksum + 60.
Worked example (Table A2.2): G123 498 654 321 -> sum 148354, mod 37 = 21, 38 - 21 = 17 -> 'H'.

MOD 11-2 is the same pure system with modulus 11, radix 2 over digits, check value 10 written 'X'
(as used by ORCID iDs, "ISO/IEC 7064:2003, MOD 11-2": 0000-0002-1825-0097 ends in check digit 7).

Why MOD 37-2 for our own identifiers: 2 is a primitive root modulo 37, so every position weight
2**n mod 37 is non-zero and any single-character substitution changes the sum modulo 37 — every
single substitution, including one of the check character itself, is detected.
"""

from __future__ import annotations

from celltrial.core.errors import InputError

MOD37_2_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
MOD11_2_ALPHABET = "0123456789X"

#: Characters a MOD 37-2 payload may contain (the check character may also be '*').
MOD37_2_PAYLOAD_CHARACTERS = frozenset(MOD37_2_ALPHABET[:36])

#: ISBT 128 bar codes carry the checksum as a two-digit flag value: checksum + 60 (Red Book Annex 2).
ISBT128_BARCODE_CHECK_OFFSET = 60


class CheckCharacterError(InputError):
    """A string cannot be protected or checked: it contains characters outside the system's set."""


def _pure_checksum(values: list[int], modulus: int, radix: int) -> int:
    # Horner form of sum(value * radix**n), n = position from the right starting at 1:
    # multiply by the radix after adding each value, so the last payload value gets radix**1.
    total = 0
    for value in values:
        total = ((total + value) * radix) % modulus
    return (modulus + 1 - total) % modulus


def _clean(text: str) -> str:
    # Spaces (as in the printed "G123 498 654 321") are presentation, not data.
    # Refuse non-ASCII before upper-casing: str.upper() turns 'ß' into 'SS' and 'ﬁ' into 'FI', so a
    # check character would be computed for characters nobody typed.
    for position, char in enumerate(text, start=1):
        if not char.isascii():
            raise CheckCharacterError(
                f"character {char!r} at position {position} of {text!r} is not allowed: "
                "only digits 0-9 and letters A-Z (ASCII) can be protected by ISO 7064"
            )
    return text.replace(" ", "").upper()


def mod37_2_checksum(payload: str) -> int:
    """Return the ISO 7064 MOD 37-2 checksum (0..36) of an alphanumeric payload.

    Spaces are ignored and letters are upper-cased. Raises :class:`CheckCharacterError` for an
    empty payload or a character outside 0-9 and A-Z.
    """
    cleaned = _clean(payload)
    if not cleaned:
        raise CheckCharacterError("identifier is empty: nothing to compute a check character for")
    values = []
    for position, char in enumerate(cleaned, start=1):
        if char not in MOD37_2_PAYLOAD_CHARACTERS:
            raise CheckCharacterError(
                f"character {char!r} at position {position} of {payload!r} is not allowed: "
                "only digits 0-9 and letters A-Z can be protected by ISO 7064 MOD 37-2"
            )
        values.append(MOD37_2_ALPHABET.index(char))
    return _pure_checksum(values, modulus=37, radix=2)


def mod37_2_check_character(payload: str) -> str:
    """Return the eye-readable MOD 37-2 check character (0-9, A-Z or '*') for ``payload``."""
    return MOD37_2_ALPHABET[mod37_2_checksum(payload)]


def isbt128_barcode_check_value(payload: str) -> int:
    """Return the ISBT 128 bar-code check value (checksum + 60) for a 13-character DIN payload."""
    return mod37_2_checksum(payload) + ISBT128_BARCODE_CHECK_OFFSET


def mod37_2_is_valid(protected: str) -> bool:
    """True if the last character of ``protected`` is the MOD 37-2 check character of the rest.

    Raises :class:`CheckCharacterError` if the string is too short or has characters outside the set.
    """
    cleaned = _clean(protected)
    if len(cleaned) < 2:
        raise CheckCharacterError(
            f"{protected!r} is too short: need at least one character and a check character"
        )
    check = cleaned[-1]
    if check not in MOD37_2_ALPHABET:
        raise CheckCharacterError(f"check character {check!r} is not one of 0-9, A-Z or '*'")
    return mod37_2_check_character(cleaned[:-1]) == check


def mod11_2_check_character(digits: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character (0-9 or 'X') for a string of digits.

    Spaces and hyphens are ignored (ORCID iDs are printed in groups of four).
    """
    cleaned = digits.replace(" ", "").replace("-", "")
    if not cleaned:
        raise CheckCharacterError("number is empty: nothing to compute a check digit for")
    if not cleaned.isascii() or not cleaned.isdigit():
        raise CheckCharacterError(f"{digits!r} must contain only digits 0-9 for ISO 7064 MOD 11-2")
    return MOD11_2_ALPHABET[_pure_checksum([int(c) for c in cleaned], modulus=11, radix=2)]


def mod11_2_is_valid(protected: str) -> bool:
    """True if the last character of ``protected`` is the MOD 11-2 check character of the digits before it."""
    cleaned = protected.replace(" ", "").replace("-", "").upper()
    if len(cleaned) < 2:
        raise CheckCharacterError(f"{protected!r} is too short: need digits and a check character")
    if cleaned[-1] not in MOD11_2_ALPHABET:
        raise CheckCharacterError(f"check character {cleaned[-1]!r} is not one of 0-9 or 'X'")
    return mod11_2_check_character(cleaned[:-1]) == cleaned[-1]
