"""The form records data quality reads: the capture room's ``FormRecord``, found lazily by label.

The form engine is a sibling in the capture room, so this is not a cross-room import; it is looked
up through the app registry so that this app works (and its tests run) while the engine is built.
Every record is seen through :class:`RecordView`, so the rest of the app does not depend on the
engine's field names beyond those agreed: participant, visit, form, repeat, values, status, version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps

from celltrial.core.canonical import content_hash


@dataclass(frozen=True)
class RecordView:
    pk: Any
    participant_pk: int
    visit: str
    form: str
    repeat: int
    values: dict[str, Any]
    status: str
    version: int


def model() -> Any | None:
    try:
        return apps.get_model("capture", "FormRecord")
    except LookupError:
        return None


def _code(visit: Any) -> str:
    return str(getattr(visit, "code", visit) or "")


def view(record: Any) -> RecordView:
    if isinstance(record, RecordView):
        return record
    participant_pk = getattr(record, "participant_id", None)
    if participant_pk is None:
        participant_pk = getattr(getattr(record, "participant", None), "pk", 0)
    return RecordView(pk=getattr(record, "pk", None), participant_pk=int(participant_pk or 0),
                      visit=_code(getattr(record, "visit", "")), form=str(getattr(record, "form", "")),
                      repeat=int(getattr(record, "repeat", 1) or 1), values=dict(getattr(record, "values", {}) or {}),
                      status=str(getattr(record, "status", "") or ""), version=int(getattr(record, "version", 1) or 1))


def of_participant(participant_pk: int) -> list[RecordView]:
    m = model()
    if m is None:
        return []
    return [view(r) for r in m.objects.filter(participant_id=participant_pk)]


def of_participants(participant_pks: Iterable[int]) -> list[RecordView]:
    m = model()
    pks = list(participant_pks)
    if m is None or not pks:
        return []
    return [view(r) for r in m.objects.filter(participant_id__in=pks)]


def participants_with_records() -> list[Any]:
    """The participants that have at least one form record (objects, from the engine's foreign key)."""
    m = model()
    if m is None:
        return []
    field = m._meta.get_field("participant")
    participant_model = field.related_model
    return list(participant_model.objects.filter(pk__in=m.objects.values("participant_id")).select_related("site"))


def fingerprint(participant_pk: int) -> list[list[Any]]:
    """What a casebook signature covers: each record's keys, version and a hash of its values."""
    return sorted([r.visit, r.form, r.repeat, r.version, content_hash(r.values)]
                  for r in of_participant(participant_pk))


# --- participants and their visits --------------------------------------------------------------------
# Read through participants.interface (look-ups by key or label, the visit calendar), only here, so the
# rest of the app names neither the participants room's models nor its interface's functions.


def participant(pk: Any) -> Any | None:
    """The participant with this primary key (with its site), or None."""
    from celltrial.participants.interface import participant as by_pk

    return by_pk(pk)


def participant_by_label(label: str) -> Any | None:
    """The participant with this subject ID or screening number, or None."""
    from celltrial.participants.interface import participant_by_label as by_label

    return by_label(label)


def visits_of(participants: Iterable[Any]) -> list[Any]:
    """The visit calendar rows of these participants (participant, site, code, status, latest, actual_date)."""
    from celltrial.participants.interface import visits

    return visits(participants)
