"""ASD instrument scoring (pure domain code: no Django).

Each instrument lives in its own module with its source; ``registry.score(code, items, …)`` scores
any of them by its stable code. Item text, norms and licensed lookup tables are never shipped.
"""

from celltrial.capture.instruments.bands import Band, BandTable
from celltrial.capture.instruments.errors import (
    InstrumentInputError,
    ItemCountError,
    ItemValueError,
    MissingItemError,
    NotEvaluableError,
    ScoringKeyError,
)
from celltrial.capture.instruments.registry import REGISTRY, InstrumentSpec, instrument, score
from celltrial.capture.instruments.responder import (
    ResponderResult,
    ResponderStatus,
    change_from_baseline,
    percent_change,
    rupp_responder,
)
from celltrial.capture.instruments.result import InstrumentScore, Subscale

__all__ = [
    "REGISTRY",
    "Band",
    "BandTable",
    "InstrumentInputError",
    "InstrumentScore",
    "InstrumentSpec",
    "ItemCountError",
    "ItemValueError",
    "MissingItemError",
    "NotEvaluableError",
    "ResponderResult",
    "ResponderStatus",
    "ScoringKeyError",
    "Subscale",
    "change_from_baseline",
    "instrument",
    "percent_change",
    "rupp_responder",
    "score",
]
