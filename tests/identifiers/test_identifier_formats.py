"""celltrial identifier formats (our own layouts) protected by ISO 7064 MOD 37-2.

The check character is recomputed here from the published algorithm (Red Book Annex 2 steps), not
read back from the formatter, so a wrong formatter cannot pass.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.identifiers.formats import (
    DonorId,
    IdentifierError,
    IdentifierKind,
    LotId,
    SubjectId,
    UnitId,
    complete_identifier,
    format_donor_id,
    format_lot_id,
    format_subject_id,
    format_unit_id,
    parse_identifier,
    validate_identifier,
)

_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*")}


def annex2_check(payload: str) -> str:
    """Red Book Annex 2, steps 1-6, written out independently of the module under test."""
    chars = payload.replace("-", "")
    total = sum(_VALUES[c] * 2 ** (len(chars) - i) for i, c in enumerate(chars))
    checksum = (38 - total % 37) % 37
    return "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"[checksum]


def test_annex2_reference_reproduces_published_example() -> None:
    assert annex2_check("G123498654321") == "H"


def test_subject_id_format_and_parse() -> None:
    text = format_subject_id("asd", 1, 7)
    assert text == f"ASD-01-0007-{annex2_check('ASD010007')}"
    assert parse_identifier(text) == SubjectId("ASD", 1, 7)


def test_donor_lot_and_unit_ids() -> None:
    donor = format_donor_id(2025, 12)
    assert donor == f"D-2025-0012-{annex2_check('D20250012')}"
    assert parse_identifier(donor) == DonorId(2025, 12)
    lot = format_lot_id(2025, 3)
    assert lot == f"L2025-0003-{annex2_check('L20250003')}"
    unit = format_unit_id(lot, 7)
    # the unit check covers the lot payload and unit number (the lot check may be '*', not protectable)
    assert unit == f"{lot}-U07-{annex2_check('L20250003U07')}"
    assert parse_identifier(unit) == UnitId(LotId(2025, 3), 7)


def test_corrupted_subject_id_says_what_is_wrong() -> None:
    good = format_subject_id("ASD", 1, 7)
    corrupted = good[:-6] + "8" + good[-5:]  # sequence 0007 -> 0087
    result = validate_identifier(corrupted)
    assert not result.valid
    assert result.kind is IdentifierKind.SUBJECT
    assert "check character" in (result.problem or "") and "expected" in (result.problem or "")


def test_unit_with_corrupted_lot_part_names_the_lot() -> None:
    lot = format_lot_id(2025, 3)
    unit = format_unit_id(lot, 7)
    wrong_lot_check = next(c for c in "0123456789" if c != lot[-1])
    corrupted = unit.replace(lot, lot[:-1] + wrong_lot_check)
    with pytest.raises(IdentifierError, match="lot part"):
        parse_identifier(corrupted)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ASD-1-0007-Q", "expected SSS-NN-NNNN-C"),
        ("D-25-0012-B", "expected D-YYYY-NNNN-C"),
        ("hello", "does not look like"),
    ],
)
def test_malformed_ids_explain_the_layout(text: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        parse_identifier(text)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: format_subject_id("A1", 1, 1), "study code"),
        (lambda: format_subject_id("ASD", 100, 1), "site number must be between 1 and 99"),
        (lambda: format_donor_id(2025, 0), "donor sequence number"),
        (lambda: format_lot_id(1999, 1), "lot year"),
        (lambda: format_unit_id("L2025-0003-Z", 1), "check character"),
    ],
)
def test_format_refuses_out_of_range(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(IdentifierError, match=message):
        call()


def test_complete_identifier_appends_check() -> None:
    assert complete_identifier("ASD-01-0007") == f"ASD-01-0007-{annex2_check('ASD010007')}"
    with pytest.raises(IdentifierError):
        complete_identifier("nonsense")


_ids = st.one_of(
    st.builds(format_subject_id, st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=6), st.integers(1, 99), st.integers(1, 9999)),
    st.builds(format_donor_id, st.integers(2000, 2099), st.integers(1, 9999)),
    st.builds(format_lot_id, st.integers(2000, 2099), st.integers(1, 9999)),
    st.builds(lambda y, s, u: format_unit_id(format_lot_id(y, s), u), st.integers(2000, 2099), st.integers(1, 9999), st.integers(1, 99)),
)


@given(_ids, st.data())
def test_any_single_character_substitution_in_an_identifier_is_detected(identifier: str, data: st.DataObject) -> None:
    assert validate_identifier(identifier).valid
    position = data.draw(st.integers(0, len(identifier) - 1))
    replacement = data.draw(st.sampled_from([c for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*-" if c != identifier[position]]))
    corrupted = identifier[:position] + replacement + identifier[position + 1 :]
    assert not validate_identifier(corrupted).valid


@pytest.mark.parametrize("text", ["ASD-٠١-0007-Q", "ASD-０１-0007-Q", "L٢٠٢٥-0003-O"])
def test_non_latin_digits_are_not_a_valid_identifier(text: str) -> None:
    # Python's \d matches any Unicode decimal digit, so these parsed as ASD-01-0007-Q / L2025-0003-O
    # and validated. Our layouts (module docstring) and ISO 7064 MOD 37-2's character set (JPAC Red
    # Book Annex 2, Table A2.1: 0-9, A-Z, '*') are ASCII only.
    with pytest.raises(IdentifierError, match="non-ASCII"):
        parse_identifier(text)
    assert validate_identifier(text).valid is False
    with pytest.raises(IdentifierError, match="non-ASCII"):
        complete_identifier(text[:-2])
