"""Clinical Global Impression: Severity (CGI-S) and Improvement (CGI-I).

Guy W. ECDEU Assessment Manual for Psychopharmacology, revised 1976 (DHEW Publ No ADM 76-338),
pp. 217-222 — a US government publication in the public domain, so the anchors may be shown.
CGI-S: 1-7 (0 = not assessed is *not* accepted for severity here: a missing rating is refused).
CGI-I: 1-7 relative to baseline; 0 = not assessed, recorded as "not assessed", never as a score.
Chinese labels follow the usual Chinese clinical rendering of the anchors.
"""

from __future__ import annotations

from celltrial.capture.instruments.bands import Band
from celltrial.capture.instruments.errors import ItemValueError, MissingItemError
from celltrial.capture.instruments.items import is_whole_number
from celltrial.capture.instruments.result import InstrumentScore

SOURCE = (
    "Guy W. ECDEU Assessment Manual for Psychopharmacology, rev. 1976, DHEW Publ No (ADM) 76-338, pp. 217-222"
)

CGI_S_ANCHORS: dict[int, Band] = {
    1: Band("normal", "Normal, not at all ill", "正常，无病"),
    2: Band("borderline", "Borderline mentally ill", "边缘性精神疾病"),
    3: Band("mildly_ill", "Mildly ill", "轻度"),
    4: Band("moderately_ill", "Moderately ill", "中度"),
    5: Band("markedly_ill", "Markedly ill", "明显"),
    6: Band("severely_ill", "Severely ill", "重度"),
    7: Band("extremely_ill", "Among the most extremely ill patients", "极重度"),
}

CGI_I_ANCHORS: dict[int, Band] = {
    1: Band("very_much_improved", "Very much improved", "非常显著进步"),
    2: Band("much_improved", "Much improved", "显著进步"),
    3: Band("minimally_improved", "Minimally improved", "轻度进步"),
    4: Band("no_change", "No change", "无变化"),
    5: Band("minimally_worse", "Minimally worse", "轻度恶化"),
    6: Band("much_worse", "Much worse", "显著恶化"),
    7: Band("very_much_worse", "Very much worse", "非常显著恶化"),
}
CGI_I_NOT_ASSESSED = Band("not_assessed", "Not assessed", "未评定")


def _as_rating(code: str, value: object, low: int) -> int:
    if value is None:
        raise MissingItemError(f"{code}: rating missing; enter {low}-7")
    if not is_whole_number(value):
        raise ItemValueError(f"{code}: {value!r} is not an integer rating ({low}-7)")
    rating = int(value)
    if not low <= rating <= 7:
        raise ItemValueError(f"{code}: {rating} is out of range ({low}-7)")
    return rating


def score_cgi_s(value: object) -> InstrumentScore:
    """CGI-Severity 1-7 with its anchor."""
    rating = _as_rating("CGI_S", value, 1)
    return InstrumentScore(
        instrument="CGI_S",
        total=rating,
        band=CGI_S_ANCHORS[rating],
        band_table="Guy 1976 CGI-S",
        source=SOURCE,
    )


def score_cgi_i(value: object) -> InstrumentScore:
    """CGI-Improvement 1-7 with its anchor; 0 means not assessed (total ``None``)."""
    rating = _as_rating("CGI_I", value, 0)
    if rating == 0:
        return InstrumentScore(
            instrument="CGI_I",
            total=None,
            band=CGI_I_NOT_ASSESSED,
            band_table="Guy 1976 CGI-I",
            notes=("0 = not assessed: no improvement rating recorded",),
            source=SOURCE,
        )
    return InstrumentScore(
        instrument="CGI_I",
        total=rating,
        band=CGI_I_ANCHORS[rating],
        band_table="Guy 1976 CGI-I",
        source=SOURCE,
    )
