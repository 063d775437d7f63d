"""ADOS-2 (Lord, Rutter, DiLavore, Risi, Gotham & Bishop 2012, WPS): examiner-entered scores.

The calibrated severity score (CSS, 1-10) is a lookup from module × age × raw total in licensed
tables (Gotham, Pickles & Lord, J Autism Dev Disord 2009;39:693-705 for Modules 1-3; Hus & Lord
2014 for Module 4; Esler et al. 2015 for the Toddler Module), so the examiner enters it. We
validate it and derive the ADOS-2 "level of autism spectrum-related symptoms": 1-2 minimal-to-no
evidence, 3-4 low, 5-7 moderate, 8-10 high (ADOS-2 manual, as recorded in the domain note).
The classification (autism / autism spectrum / non-spectrum) is the examiner's and is validated
against the three allowed values only; the module must be T, 1, 2, 3 or 4.
"""

from __future__ import annotations

from celltrial.capture.instruments.bands import Band, BandRule, BandTable, resolve_band
from celltrial.capture.instruments.errors import ItemValueError, MissingItemError
from celltrial.capture.instruments.items import is_whole_number
from celltrial.capture.instruments.result import InstrumentScore

CODE = "ADOS2"
SOURCE = "Lord C et al. ADOS-2 Manual, WPS 2012; Gotham K, Pickles A, Lord C. J Autism Dev Disord 2009;39:693"
MODULES = ("T", "1", "2", "3", "4")
CLASSIFICATIONS = ("autism", "autism_spectrum", "non_spectrum")

ADOS2_CSS_LEVELS = BandTable(
    "ADOS-2 CSS level",
    (
        BandRule(Band("minimal_to_no", "Minimal-to-no evidence", "无或极少证据"), 1, 2),
        BandRule(Band("low", "Low", "低"), 3, 4),
        BandRule(Band("moderate", "Moderate", "中"), 5, 7),
        BandRule(Band("high", "High", "高"), 8, 10),
    ),
    SOURCE,
    verified=True,
)


def score_ados2(
    css: object, *, module: str | None = None, classification: str | None = None
) -> InstrumentScore:
    """Validate an examiner-entered CSS (1-10), module and classification; derive the CSS level."""
    if css is None:
        raise MissingItemError(f"{CODE}: calibrated severity score missing; enter 1-10")
    if not is_whole_number(css) or not 1 <= css <= 10:
        raise ItemValueError(f"{CODE} calibrated severity score: {css!r} must be an integer 1-10")
    if module is not None and str(module) not in MODULES:
        raise ItemValueError(f"{CODE} module: {module!r} must be one of {', '.join(MODULES)}")
    if classification is not None and classification not in CLASSIFICATIONS:
        raise ItemValueError(
            f"{CODE} classification: {classification!r} must be one of {', '.join(CLASSIFICATIONS)}"
        )
    level = resolve_band(ADOS2_CSS_LEVELS, int(css))
    return InstrumentScore(
        instrument=CODE,
        total=int(css),
        band=level.band,
        band_table=level.table,
        notes=("CSS looked up by the examiner from licensed tables; not computed here",),
        source=SOURCE,
        extra=(("module", None if module is None else str(module)), ("classification", classification)),
    )
