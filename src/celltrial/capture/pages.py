"""What a form page shows: the dictionary's fields as render items (sections, matrix groups, choices,
units and ranges, action tags), and the typed values read back from a posted page."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from celltrial.capture import files
from celltrial.capture.engine.tags import Tags
from celltrial.capture.engine.values import MISSING_CODES, Outcome, field_type, is_typed
from celltrial.capture.messages import MISSING_LABELS


@dataclass
class Item:
    name: str
    kind: str
    label: str
    note: str = ""
    units: str = ""
    range_text: str = ""
    value: Any = ""
    choices: list[dict[str, Any]] = field(default_factory=list)
    hidden: bool = False
    readonly: bool = False
    computed: bool = False
    required: bool = False
    placeholder: str = ""
    maxlength: int | None = None
    errors: list[str] = field(default_factory=list)
    missing: str = ""
    partial_date: bool = False
    file: Mapping[str, Any] | None = None
    slider_min: float = 0
    slider_max: float = 100


def _range_text(f: Any) -> str:
    low = f.min if isinstance(f.min, int | float) else None
    high = f.max if isinstance(f.max, int | float) else None
    units = f" {f.units}" if f.units else ""
    if low is not None and high is not None:
        return _("%(min)s–%(max)s%(units)s") % {"min": f"{low:g}", "max": f"{high:g}", "units": units}
    if low is not None:
        return _("≥ %(min)s%(units)s") % {"min": f"{low:g}", "units": units}
    if high is not None:
        return _("≤ %(max)s%(units)s") % {"max": f"{high:g}", "units": units}
    return ""


def _choices(f: Any, lang: str, value: Any, tags: Tags) -> list[dict[str, Any]]:
    kind = field_type(f)
    if kind == "yesno":
        pairs = [("1", _("Yes")), ("0", _("No"))]
    elif kind == "truefalse":
        pairs = [("1", _("True")), ("0", _("False"))]
    else:
        pairs = [(c.code, c.label.get(lang)) for c in f.choices or ()]
    chosen = set(value) if isinstance(value, list) else {str(value)}
    return [{"code": code, "label": label, "checked": code in chosen,
             "exclusive": code in tags.none_of_the_above}
            for code, label in pairs if code not in tags.hide_choices or code in chosen]


def items(form_def: Any, values: Mapping[str, Any], outcome: Outcome | None, errors: Mapping[str, list[str]],
          lang: str, *, survey: bool = False) -> list[dict[str, Any]]:
    """Blocks in dictionary order: ``section`` headers, single ``field`` items and ``matrix`` groups."""
    blocks: list[dict[str, Any]] = []
    tags_of = outcome.tags if outcome else {}
    for f in form_def.fields:
        kind = field_type(f)
        if getattr(f, "identifier", False):
            continue
        tags = tags_of.get(f.name) or Tags()
        if f.section_header:
            blocks.append({"kind": "section", "label": f.section_header.get(lang)})
        value = values.get(f.name, [] if kind == "checkbox" else "")
        missing = value if isinstance(value, str) and value in MISSING_CODES else ""
        if isinstance(value, list) and len(value) == 1 and value[0] in MISSING_CODES:
            missing = value[0]
        item = Item(
            name=f.name, kind=kind, label=f.label.get(lang), note=f.note.get(lang) if f.note else "",
            units=f.units or "", range_text=_range_text(f) if kind in ("integer", "number", "slider") else "",
            value="" if missing else value, choices=_choices(f, lang, value, tags) if kind in (
                "radio", "dropdown", "checkbox", "yesno", "truefalse") else [],
            hidden=bool(outcome and f.name in outcome.hidden) or tags.hidden or (survey and tags.hidden_survey),
            readonly=tags.readonly or tags.calctext is not None, computed=kind == "calc" or tags.calctext is not None,
            required=f.required and is_typed(f), placeholder=tags.placeholder or "", maxlength=tags.char_limit,
            errors=list(errors.get(f.name, [])), missing=missing, partial_date=tags.partial_date,
            file=value if isinstance(value, Mapping) else None,
            slider_min=f.min if isinstance(f.min, int | float) else 0,
            slider_max=f.max if isinstance(f.max, int | float) else 100,
        )
        group = getattr(f, "matrix_group", None)
        if group and kind in ("radio", "checkbox"):
            last = blocks[-1] if blocks else None
            if last and last["kind"] == "matrix" and last["name"] == group:
                last["rows"].append(item)
                continue
            blocks.append({"kind": "matrix", "name": group, "columns": [c["label"] for c in item.choices],
                           "rows": [item]})
            continue
        blocks.append({"kind": "field", "item": item})
    return blocks


def missing_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} · {MISSING_LABELS[code]}") for code in MISSING_CODES]


def posted_values(form_def: Any, post: Any, uploads: Any, previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """The values a posted page carries, as the engine takes them (files stored first, by hash)."""
    previous = previous or {}
    raw: dict[str, Any] = {}
    for f in form_def.fields:
        if not is_typed(f):
            continue
        kind, name = field_type(f), f.name
        missing = post.get(f"{name}__missing", "")
        if missing in MISSING_CODES:
            raw[name] = [missing] if kind == "checkbox" else missing
            continue
        if kind == "checkbox":
            raw[name] = post.getlist(name)
        elif kind == "file":
            upload = uploads.get(name)
            if upload is not None:
                raw[name] = files.store(name, upload.name, upload.read(files.MAX_READ))
            elif post.get(f"{name}__keep") and isinstance(previous.get(name), Mapping):
                raw[name] = previous[name]
            else:
                raw[name] = ""
        elif kind == "signature":
            drawn = files.signature(name, post.get(f"{name}__signature", ""))
            if drawn is not None:
                raw[name] = drawn
            elif post.get(f"{name}__keep") and isinstance(previous.get(name), Mapping):
                raw[name] = previous[name]
            else:
                raw[name] = ""
        elif name in post:
            raw[name] = post.get(name, "")
    return raw


def typed_for_display(form_def: Any, post: Any) -> dict[str, Any]:
    """What the user typed, for showing back after a refusal (no file is stored for this)."""
    shown: dict[str, Any] = {}
    for f in form_def.fields:
        kind = field_type(f)
        missing = post.get(f"{f.name}__missing", "")
        if missing in MISSING_CODES:
            shown[f.name] = missing
        elif kind == "checkbox":
            shown[f.name] = post.getlist(f.name)
        elif f.name in post:
            shown[f.name] = post.get(f.name, "")
    return shown
