"""Screening numbers (``SSS-NN-SNNNN-C``): one per screening attempt at a site, ISO 7064 MOD 37-2 protected.

The check character is recomputed from the published algorithm (JPAC Red Book, Annex 2, steps 1-6),
written out again here, never read back from the formatter.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.identifiers.formats import (
    IdentifierError,
    IdentifierKind,
    ScreeningNumber,
    SubjectId,
    complete_identifier,
    detect_kind,
    format_screening_number,
    format_subject_id,
    parse_identifier,
    validate_identifier,
)

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"


def annex2_check(payload: str) -> str:
    chars = payload.replace("-", "")
    total = sum(_ALPHABET.index(c) * 2 ** (len(chars) - i) for i, c in enumerate(chars))
    return _ALPHABET[(38 - total % 37) % 37]


def test_the_reference_reproduces_the_red_book_example() -> None:
    assert annex2_check("G123498654321") == "H"


def test_screening_number_format_and_parse() -> None:
    text = format_screening_number("asd", 1, 12)
    assert text == f"ASD-01-S0012-{annex2_check('ASD01S0012')}"
    assert parse_identifier(text) == ScreeningNumber("ASD", 1, 12)
    assert detect_kind(text) is IdentifierKind.SCREENING
    assert complete_identifier("ASD-01-S0012") == text


def test_a_screening_number_is_never_taken_for_a_subject_id() -> None:
    screening = format_screening_number("ASD", 1, 7)
    subject = format_subject_id("ASD", 1, 7)
    assert parse_identifier(screening) != parse_identifier(subject)
    assert isinstance(parse_identifier(subject), SubjectId)
    with pytest.raises(IdentifierError, match="not a valid subject id"):
        parse_identifier(screening, IdentifierKind.SUBJECT)


def test_a_mistyped_screening_number_names_the_problem() -> None:
    good = format_screening_number("ASD", 1, 7)
    corrupted = good.replace("S0007", "S0001")
    result = validate_identifier(corrupted)
    assert not result.valid and result.kind is IdentifierKind.SCREENING
    assert "check character" in (result.problem or "")


@pytest.mark.parametrize(("site", "sequence"), [(0, 1), (100, 1), (1, 0), (1, 10000)])
def test_out_of_range_parts_are_refused(site: int, sequence: int) -> None:
    with pytest.raises(IdentifierError):
        format_screening_number("ASD", site, sequence)


@given(st.integers(1, 99), st.integers(1, 9999), st.sampled_from(_ALPHABET[:36]))
def test_every_single_substitution_of_the_check_character_is_caught(site: int, sequence: int, other: str) -> None:
    good = format_screening_number("ASD", site, sequence)
    if other != good[-1]:
        assert not validate_identifier(good[:-1] + other).valid
