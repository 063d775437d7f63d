"""What the form engine asks data quality before and after a save (the capture room's own seam).

- :func:`entry_lock` before a save (and to show a form read-only): the translated reason a form may
  not be changed (frozen or locked at form, visit, participant or database level, the level named),
  or None;
- :func:`after_save` inside the save's transaction: run the protocol's edit checks this save touches
  (open, re-open or close their queries), flag the fields changed since SDV, and void the casebook
  signature the change made stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def entry_lock(participant: Any, visit: str, form: str) -> str | None:
    """Why this form may not be changed now (frozen or locked at form, visit, participant or database
    level), as a translated message; None when it may."""
    from celltrial.capture.quality import services

    pk = getattr(participant, "pk", participant)
    hold = services.governing_hold(int(pk), str(getattr(visit, "code", visit)), form)
    return services.hold_message(hold) if hold is not None else None


def after_save(actor: Any, record: Any, old_values: Mapping[str, Any], new_values: Mapping[str, Any], *,
               participant: Any | None = None, others: Iterable[Any] | None = None) -> None:
    """Run the protocol's edit checks touching this form, open or close their queries, and flag fields
    changed after SDV. Called inside the save's transaction; ``participant`` and ``others`` (the
    participant's other form records, as the save read them) spare reading them again."""
    from celltrial.capture.quality import records, services

    view = records.view(record)
    if dict(view.values) != dict(new_values):
        view = records.RecordView(view.pk, view.participant_pk, view.visit, view.form, view.repeat,
                                  dict(new_values), view.status, view.version)
    siblings = [records.view(r) for r in others] + [view] if others is not None else None
    services.run_checks_for_record(view, participant=participant or getattr(record, "participant", None),
                                   siblings=siblings)
    changed = services.changed_fields(old_values, new_values)
    if changed:
        services.flag_changed_since_sdv(actor, view, changed)
        services.void_casebook_signature(actor, view.participant_pk)
