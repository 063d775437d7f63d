"""The registry: stable instrument codes (the issue's list) and routing by code."""

from __future__ import annotations

import pytest

from celltrial.capture.instruments import REGISTRY, InstrumentInputError, instrument, score

STABLE_CODES = {
    "ABC_AMAN58",
    "ABC_KRUG57",
    "CARS1",
    "CARS2_ST",
    "CARS2_HF",
    "CGI_S",
    "CGI_I",
    "SRS2",
    "ADOS2",
    "VINELAND3",
}


def test_registry_has_exactly_the_stable_codes_each_with_a_source() -> None:
    assert set(REGISTRY) == STABLE_CODES
    for spec in REGISTRY.values():
        assert spec.source and spec.missing_rule


def test_lookup_is_case_insensitive_and_unknown_codes_are_refused() -> None:
    assert instrument("cgi_s").code == "CGI_S"
    with pytest.raises(InstrumentInputError, match="unknown instrument"):
        instrument("ABC")


def test_routing_by_code() -> None:
    assert score("ABC_AMAN58", [1] * 58).total == 58
    assert score("CARS1", [2] * 15).total == 30
    assert score("CGI_I", [2]).total == 2
    assert score("ADOS2", [6]).total == 6
    assert score("SRS2", [], t_score=70).band is not None
    assert score("VINELAND3", [85]).total == 85
    assert score("VINELAND3", {"abc": 85, "socialization": 80}).subscale("socialization").score == 80


def test_single_rating_instruments_refuse_vectors() -> None:
    with pytest.raises(InstrumentInputError, match="exactly one"):
        score("CGI_S", [3, 4])
