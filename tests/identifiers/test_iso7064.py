"""ISO/IEC 7064 check characters, checked against published worked examples.

- MOD 37-2: JPAC UK Red Book, Annex 2 "ISBT 128 check character calculation", Table A2.2:
  donation number G123 498 654 321 -> 37,2 checksum 17, bar-code check character 77, eye-readable 'H'.
  (https://www.transfusionguidelines.org/red-book/annex-2-isbt-128-check-character-calculation)
- MOD 11-2: ORCID iDs use ISO/IEC 7064:2003 MOD 11-2; 0000-0002-1825-0097 (check 7) and
  0000-0002-9079-593X (check X) are published ORCID examples; the iso-7064 crate docs give "079" -> 'X'.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.identifiers.iso7064 import (
    MOD37_2_ALPHABET,
    CheckCharacterError,
    isbt128_barcode_check_value,
    mod11_2_check_character,
    mod11_2_is_valid,
    mod37_2_check_character,
    mod37_2_checksum,
    mod37_2_is_valid,
)

PAYLOAD_CHARS = MOD37_2_ALPHABET[:36]


def test_red_book_annex_2_worked_example() -> None:
    # Table A2.2: checksum 17 -> 'H'; bar-code check character 17 + 60 = 77.
    assert mod37_2_checksum("G123 498 654 321") == 17
    assert mod37_2_check_character("G123498654321") == "H"
    assert isbt128_barcode_check_value("G123498654321") == 77
    assert mod37_2_is_valid("G123498654321H")


def test_red_book_table_a2_1_value_map_is_used() -> None:
    # Table A2.1 maps A..Z to 10..35 and '*' to 36. A one-character payload c has sum = value(c) * 2,
    # so its checksum is (38 - 2*value mod 37) mod 37: e.g. 'A' (10) -> (38 - 20) = 18 -> 'I'.
    assert mod37_2_check_character("A") == "I"
    # value 0 -> (38 - 0) mod 37 = 1 -> '1'
    assert mod37_2_check_character("0") == "1"


def test_corrupted_donation_number_is_detected() -> None:
    assert not mod37_2_is_valid("G123498654321G")  # wrong check character
    assert not mod37_2_is_valid("G123498654322H")  # last digit mistyped


def test_lower_case_and_spaces_are_presentation() -> None:
    assert mod37_2_check_character("g123 498 654 321") == "H"


@pytest.mark.parametrize("bad", ["", "   ", "G12-3", "G12_3", "É1"])
def test_characters_outside_the_set_are_refused(bad: str) -> None:
    with pytest.raises(CheckCharacterError):
        mod37_2_checksum(bad)


def test_validate_refuses_too_short_or_bad_check_character() -> None:
    with pytest.raises(CheckCharacterError, match="too short"):
        mod37_2_is_valid("H")
    with pytest.raises(CheckCharacterError, match="not one of"):
        mod37_2_is_valid("G123-")


def test_mod11_2_published_orcid_examples() -> None:
    assert mod11_2_check_character("0000-0002-1825-009") == "7"
    assert mod11_2_check_character("000000029079593") == "X"
    assert mod11_2_check_character("079") == "X"
    assert mod11_2_is_valid("0000-0002-1825-0097")
    assert not mod11_2_is_valid("0000-0002-1825-0096")
    with pytest.raises(CheckCharacterError):
        mod11_2_check_character("12A4")


@given(st.text(alphabet=PAYLOAD_CHARS, min_size=1, max_size=40), st.data())
def test_any_single_substitution_is_detected(payload: str, data: st.DataObject) -> None:
    protected = payload + mod37_2_check_character(payload)
    position = data.draw(st.integers(min_value=0, max_value=len(protected) - 1))
    alphabet = MOD37_2_ALPHABET if position == len(protected) - 1 else PAYLOAD_CHARS
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != protected[position]]))
    corrupted = protected[:position] + replacement + protected[position + 1 :]
    assert not mod37_2_is_valid(corrupted)


@given(st.text(alphabet=PAYLOAD_CHARS, min_size=2, max_size=40), st.data())
def test_any_adjacent_transposition_is_detected(payload: str, data: st.DataObject) -> None:
    protected = payload + mod37_2_check_character(payload)
    i = data.draw(st.integers(min_value=0, max_value=len(payload) - 2))
    if protected[i] == protected[i + 1]:
        return
    swapped = protected[:i] + protected[i + 1] + protected[i] + protected[i + 2 :]
    assert not mod37_2_is_valid(swapped)


@pytest.mark.parametrize("payload", ["G123ß", "ﬁ12", "G１23"])
def test_non_ascii_payload_is_refused_not_case_folded(payload: str) -> None:
    # str.upper() maps 'ß' -> 'SS' and 'ﬁ' -> 'FI': a check character for characters nobody typed.
    # MOD 37-2 values exist only for 0-9, A-Z and '*' (JPAC Red Book Annex 2, Table A2.1).
    with pytest.raises(CheckCharacterError, match="not allowed"):
        mod37_2_checksum(payload)
