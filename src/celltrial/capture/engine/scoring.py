"""From a completed instrument form to the instrument library's score (``capture.instruments``).

The form carries the item values (item numbers only, no licensed text); this module turns them into
the library's input for the form's ``instrument`` code and stores the result with the scoring rule's
version, so that a later change of a key or a band table is visible in every stored score.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from celltrial.capture.engine.values import MISSING_CODES, field_type, is_typed
from celltrial.capture.instruments import registry
from celltrial.capture.instruments.items import ItemValue

# Bump an instrument's rule version when its key, bands or missing-item rule change.
RULE_VERSIONS: Mapping[str, str] = {
    "ABC_AMAN58": "ABC_AMAN58/aman-1985-key/1",
    "ABC_KRUG57": "ABC_KRUG57/site-key/1",
    "CARS1": "CARS1/schopler-1988/1",
    "CARS2_ST": "CARS2_ST/schopler-2010/1",
    "CARS2_HF": "CARS2_HF/schopler-2010/1",
    "CGI_S": "CGI_S/guy-1976/1",
    "CGI_I": "CGI_I/guy-1976/1",
    "SRS2": "SRS2/rater-entered/1",
    "ADOS2": "ADOS2/examiner-entered/1",
    "VINELAND3": "VINELAND3/rater-entered/1",
}
_VINELAND = {"vabs_abc_ss": "abc", "vabs_com_ss": "communication", "vabs_dls_ss": "daily_living_skills",
             "vabs_soc_ss": "socialization"}


def _number(value: Any) -> ItemValue:
    if value in (None, "", []) or value in MISSING_CODES:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else number


def _items(form: Any, values: Mapping[str, Any]) -> list[ItemValue]:
    return [_number(values.get(f.name)) for f in form.fields
            if is_typed(f) and field_type(f) in ("radio", "dropdown", "integer", "number", "slider")]


def score_form(form: Any, values: Mapping[str, Any], *, age_years: float | None = None) -> dict[str, Any]:
    """The stored score of a completed instrument form, or ``{}`` when the form is not an instrument.

    Raises the library's ``InstrumentInputError`` (an ``InputError``) for what it refuses: a missing
    item, a half point where none is allowed, a value out of range.
    """
    code = getattr(form, "instrument", None)
    if not code or code not in registry.REGISTRY:
        return {}
    if code == "VINELAND3":
        scores = {domain: _number(values.get(name)) for name, domain in _VINELAND.items()
                  if _number(values.get(name)) is not None}
        result = registry.score(code, scores)
    elif code == "SRS2":
        result = registry.score(code, [], t_score=_number(values.get("srs2_t_score")))
    elif code == "ADOS2":
        module = values.get("ados2_module") or None
        result = registry.score(code, [_number(values.get("ados2_css"))], ados2_module=module)
    else:
        result = registry.score(code, _items(form, values), age_years=age_years)
    stored = result.as_dict()
    if code == "SRS2" and _number(values.get("srs2_raw_total")) is not None:
        stored["raw_total"] = _number(values.get("srs2_raw_total"))
    stored["rule_version"] = RULE_VERSIONS.get(code, f"{code}/1")
    return stored
