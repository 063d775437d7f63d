"""Data-quality services: the named operations of queries, SDV, freeze and lock, the casebook signature
and the edit checks. Each checks the permission inside (at the participant's site), accepts only its
fields, validates and writes the record and its audit entry in one transaction (``audit.operations``).

Queries: :func:`raise_query`, :func:`answer_query`, :func:`close_query`, :func:`reopen_query`.
Edit checks: :func:`run_checks_for_record` (on save, through ``gate.after_save``), :func:`run_all_checks`.
SDV: :func:`mark_sdv`, :func:`flag_changed_since_sdv`.
Freeze and lock: :func:`place_hold` (freeze or lock), :func:`release_hold` (unfreeze or unlock, with a reason).
Casebook: :func:`sign_casebook`, :func:`void_casebook_signature`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import signatures
from celltrial.accounts.permissions import has_perm
from celltrial.audit.operations import Create, Update, tracked
from celltrial.capture.quality import records
from celltrial.capture.quality.models import (
    FORM_RECORD,
    Casebook,
    Lock,
    LockKind,
    LockLevel,
    Query,
    QueryOrigin,
    QueryStatus,
    SdvMark,
)
from celltrial.capture.quality.permissions import (
    CASEBOOK_SIGN,
    CHECKS_RUN,
    LOCK_MANAGE,
    QUERY_ANSWER,
    QUERY_CLOSE,
    QUERY_RAISE,
    SDV_MARK,
)
from celltrial.capture.quality.rules import checks as check_rules
from celltrial.capture.quality.rules import locks as lock_rules
from celltrial.capture.quality.rules import queries as query_rules
from celltrial.capture.quality.rules.errors import QualityRefused
from celltrial.core import steady
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.participants.interface import subject_label
from celltrial.study.interface import protocol_version_in_force

SYSTEM = Actor.system("edit checks")
TEXT_MAX = 1000

# Stored in English, translated where shown.
AUTO_CLOSE_NOTE = gettext_noop("Closed automatically: the edit check passes with the corrected data.")
AUTO_REOPEN_NOTE = gettext_noop("Re-opened automatically: the edit check fails again.")
SDV_CHANGED_REASON = gettext_noop("Fields changed after source-data verification.")

_raise = Create("raise_query", Query, permission=QUERY_RAISE, fields=(
    "site", "participant_pk", "subject", "target", "target_pk", "visit", "form", "repeat", "field", "check_id",
    "origin", "status", "text", "text_zh", "raised_by", "raised_at"))
_answer = Update("answer_query", Query, permission=QUERY_ANSWER, fields=(
    "status", "answer", "answered_by", "answered_at"))
_close = Update("close_query", Query, permission=QUERY_CLOSE, fields=(
    "status", "note", "closed_by", "closed_at", "auto_closed"))
_reopen = Update("reopen_query", Query, permission=QUERY_CLOSE, fields=(
    "status", "note", "reopened", "closed_by", "closed_at", "auto_closed"))
_mark_sdv = Create("mark_sdv", SdvMark, permission=SDV_MARK, fields=(
    "site", "participant_pk", "subject", "visit", "form", "repeat", "verified_by", "verified_at", "record_version"))
_remark_sdv = Update("mark_sdv", SdvMark, permission=SDV_MARK, fields=(
    "verified_by", "verified_at", "record_version", "changed_fields", "changed_at"))
_place = Create("place_hold", Lock, permission=LOCK_MANAGE, fields=(
    "site", "level", "kind", "scope_key", "participant_pk", "subject", "visit", "form", "placed_by", "placed_at",
    "placed_reason"))
_upgrade = Update("place_hold", Lock, permission=LOCK_MANAGE, fields=("kind", "placed_by", "placed_at",
                                                                       "placed_reason"))
_release = Update("release_hold", Lock, permission=LOCK_MANAGE, fields=(
    "active", "released_by", "released_at", "release_reason"))
_open_casebook = Create("sign_casebook", Casebook, permission=CASEBOOK_SIGN, fields=(
    "site", "participant_pk", "subject"))


def _text(value: str | None, name: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed({name: [_("This field is required.")]})
    if len(text) > TEXT_MAX:
        raise ValidationFailed({name: [_("At most %(n)s characters.") % {"n": TEXT_MAX}]})
    if any(ch in text for ch in "\x00\x1b"):
        raise ValidationFailed({name: [_("Control characters are not allowed.")]})
    return text


def _user(actor: Actor) -> Any:
    return actor.user


def _site_of(participant: Any) -> Any:
    return participant.site


def _require(actor: Actor, permission: str, site_code: str) -> None:
    if actor.is_system:
        return
    if actor.user is None or not has_perm(actor.user, permission, site_code):
        raise AccessDenied(permission, site_code or None)


# --- edit checks of the protocol ------------------------------------------------------------------------


def edit_checks() -> list[Any]:
    found = protocol_version_in_force()
    if found is None:
        return []
    return list(getattr(found[1], "edit_checks", None) or [])


def _protocol() -> Any | None:
    found = protocol_version_in_force()
    return found[1] if found else None


# --- freeze and lock ------------------------------------------------------------------------------------


def holds_for(participant_pk: int) -> list[lock_rules.Hold]:
    """The active freezes and locks that can hold this participant's data (read once in a steady block)."""
    def read() -> list[lock_rules.Hold]:
        rows = Lock.objects.filter(active=True).filter(
            participant_pk__isnull=True) | Lock.objects.filter(active=True, participant_pk=participant_pk)
        return [lock_rules.Hold(r.level, r.kind, r.participant_pk, r.visit, r.form) for r in rows]

    return list(steady.read(f"quality.holds:{participant_pk}", read))


def governing_hold(participant_pk: int, visit: str, form: str) -> lock_rules.Hold | None:
    return lock_rules.governing(holds_for(participant_pk), participant_pk, visit, form)


LEVEL_NAMES = {"database": gettext_noop("the database"), "participant": gettext_noop("this participant"),
               "visit": gettext_noop("this visit"), "form": gettext_noop("this form")}


def hold_message(hold: lock_rules.Hold) -> str:
    """Why a form under ``hold`` may not be changed, naming the level (translated)."""
    level = _(LEVEL_NAMES[hold.level])
    if hold.kind == LockKind.LOCK:
        return _("Locked at the %(level)s level: %(what)s is locked; a data manager must unlock it, with a "
                 "reason, before any change.") % {"level": str(LockLevel(hold.level).label).lower(), "what": level}
    return _("Frozen at the %(level)s level: %(what)s is frozen; a data manager must unfreeze it, with a "
             "reason, before any change.") % {"level": str(LockLevel(hold.level).label).lower(), "what": level}


def _refuse_if_held(participant_pk: int, visit: str, form: str, what: str) -> None:
    hold = governing_hold(participant_pk, visit, form)
    if lock_rules.stops(hold, what):
        assert hold is not None
        raise QualityRefused("held", hold_message(hold))


@dataclass(frozen=True)
class HoldScope:
    level: str
    participant: Any = None
    visit: str = ""
    form: str = ""


def place_hold(actor: Actor, scope: HoldScope, *, kind: str, reason: str) -> Lock:
    """Freeze or lock a form, a visit, a participant or the database.

    A frozen scope may be locked (the freeze becomes a lock); a locked one must be unlocked before it is
    frozen. A lock (not a freeze) is refused while queries in its scope are open or answered, and a
    participant or database lock while a casebook in it is unsigned is allowed (signing is separate).
    """
    if kind not in LockKind.values:
        raise ValidationFailed({"kind": [_("Choose freeze or lock.")]})
    if scope.level not in LockLevel.values:
        raise ValidationFailed({"level": [_("Choose form, visit, participant or database.")]})
    reason = _text(reason, "reason")
    participant = scope.participant
    pk = participant.pk if participant is not None else None
    visit = (scope.visit or "")[:40]
    form = (scope.form or "")[:100]
    try:
        key = lock_rules.scope_key(scope.level, pk, visit, form)
    except ValueError as exc:
        raise ValidationFailed({"level": [str(exc)]}) from None
    site = participant.site if participant is not None and scope.level != LockLevel.DATABASE else None
    _require(actor, LOCK_MANAGE, site.code if site is not None else "")
    if kind == LockKind.LOCK:
        outstanding = _queries_in_scope(scope.level, pk, visit, form).filter(
            status__in=[QueryStatus.OPEN, QueryStatus.ANSWERED]).count()
        if outstanding:
            raise QualityRefused("queries_outstanding", _(
                "%(n)s queries in this scope are still open or answered: close them before locking.")
                % {"n": outstanding})
    now = timezone.now()
    with transaction.atomic():
        current = Lock.objects.select_for_update().filter(scope_key=key, active=True).first()
        if current is not None:
            if current.kind == kind:
                raise QualityRefused("already", _("This scope is already %(state)s.") % {
                    "state": str(LockKind(kind).label).lower()})
            if current.kind == LockKind.LOCK:
                raise QualityRefused("locked", _("This scope is locked: unlock it before freezing it."))
            return _upgrade(actor, current, {"kind": kind, "placed_by": _user(actor), "placed_at": now,
                                             "placed_reason": reason},
                            expected_version=current.version, reason=reason).instance
        return _place(actor, site=site, level=scope.level, kind=kind, scope_key=key, participant_pk=pk,
                      subject=subject_label(participant) if participant is not None else "", visit=visit, form=form,
                      placed_by=_user(actor), placed_at=now, placed_reason=reason, reason=reason)


def release_hold(actor: Actor, hold: Lock, *, reason: str, expected_version: int | None = None) -> Lock:
    """Unfreeze or unlock, with a reason (kept on the record and in its audit entry)."""
    reason = _text(reason, "reason")
    if not hold.active:
        raise QualityRefused("released", _("This freeze or lock was already lifted."))
    return _release(actor, hold, {"active": False, "released_by": _user(actor), "released_at": timezone.now(),
                                  "release_reason": reason},
                    expected_version=hold.version if expected_version is None else expected_version,
                    reason=reason).instance


def _queries_in_scope(level: str, pk: int | None, visit: str, form: str) -> Any:
    qs = Query.objects.all()
    if level == LockLevel.DATABASE:
        return qs
    qs = qs.filter(participant_pk=pk or 0)
    if level == LockLevel.PARTICIPANT:
        return qs
    qs = qs.filter(visit=visit)
    return qs if level == LockLevel.VISIT else qs.filter(form=form)


# --- queries --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a query is about: a participant's form field, or another room's record (model label + pk)."""

    participant: Any
    visit: str = ""
    form: str = ""
    repeat: int = 1
    field: str = ""
    target: str = FORM_RECORD
    target_pk: str = ""


def _check_target(target: Target) -> None:
    errors: dict[str, list[str]] = {}
    if not target.field:
        errors["field"] = [_("Name the field the query is about.")]
    if target.target == FORM_RECORD:
        protocol = _protocol()
        if protocol is not None:
            try:
                form = protocol.form(target.form)
            except KeyError:
                errors["form"] = [_("There is no form %(form)s in the protocol.") % {"form": target.form}]
            else:
                if target.field and target.field not in {f.name for f in form.fields}:
                    errors["field"] = [_("Form %(form)s has no field %(field)s.") % {
                        "form": target.form, "field": target.field}]
            try:
                protocol.visit(target.visit)
            except KeyError:
                errors["visit"] = [_("There is no visit %(visit)s in the protocol.") % {"visit": target.visit}]
    elif not target.target_pk:
        errors["target_pk"] = [_("Name the record (its primary key) the query is about.")]
    if not (1 <= target.repeat <= 999):
        errors["repeat"] = [_("The repeat instance is a number from 1 to 999.")]
    if errors:
        raise ValidationFailed(errors)


def raise_query(actor: Actor, target: Target, *, text: str) -> Query:
    """A data manager's or monitor's query on any field (refused while the form is locked)."""
    text = _text(text, "text")
    _check_target(target)
    _refuse_if_held(target.participant.pk, target.visit, target.form, "query")
    return _raise(actor, site=_site_of(target.participant), participant_pk=target.participant.pk,
                  subject=subject_label(target.participant), target=target.target[:100],
                  target_pk=str(target.target_pk)[:40], visit=target.visit[:40], form=target.form[:100],
                  repeat=target.repeat, field=target.field[:100], check_id="", origin=QueryOrigin.MANUAL,
                  status=QueryStatus.OPEN, text=text, text_zh="", raised_by=_user(actor), raised_at=timezone.now())


def _version(query: Query, expected_version: int | None) -> int:
    return query.version if expected_version is None else expected_version


def answer_query(actor: Actor, query: Query, *, answer: str, expected_version: int | None = None) -> Query:
    """The site's answer (open → answered)."""
    answer = _text(answer, "answer")
    status = query_rules.next_status("answer", query.status)
    _require(actor, QUERY_ANSWER, query.audit_site_code())
    _refuse_if_held(query.participant_pk, query.visit, query.form, "query")
    return _answer(actor, query, {"status": status.value, "answer": answer, "answered_by": _user(actor),
                                  "answered_at": timezone.now()},
                   expected_version=_version(query, expected_version), reason=answer).instance


def close_query(actor: Actor, query: Query, *, note: str = "", expected_version: int | None = None) -> Query:
    """A reviewer closes an open or answered query (the note is the reason; required)."""
    note = _text(note, "note")
    status = query_rules.next_status("close", query.status)
    return _close(actor, query, {"status": status.value, "note": note, "closed_by": _user(actor),
                                 "closed_at": timezone.now(), "auto_closed": actor.is_system},
                  expected_version=_version(query, expected_version), reason=note).instance


def reopen_query(actor: Actor, query: Query, *, note: str, expected_version: int | None = None) -> Query:
    """A reviewer sends an answer back or re-opens a closed query, saying why."""
    note = _text(note, "note")
    status = query_rules.next_status("reopen", query.status)
    _require(actor, QUERY_CLOSE, query.audit_site_code())
    _refuse_if_held(query.participant_pk, query.visit, query.form, "query")
    return _reopen(actor, query, {"status": status.value, "note": note, "reopened": query.reopened + 1,
                                  "closed_by": None, "closed_at": None, "auto_closed": False},
                   expected_version=_version(query, expected_version), reason=note).instance


def counts(participant_pk: int, *, visit: str | None = None, form: str | None = None) -> dict[str, int]:
    """Open, answered and closed queries of a participant (or one visit or form)."""
    qs = Query.objects.filter(participant_pk=participant_pk)
    if visit is not None:
        qs = qs.filter(visit=visit)
    if form is not None:
        qs = qs.filter(form=form)
    found = {s: 0 for s in QueryStatus.values}
    for status in qs.values_list("status", flat=True):
        found[status] += 1
    return found


# --- running the edit checks ----------------------------------------------------------------------------


@dataclass
class CheckRun:
    evaluated: int = 0
    opened: int = 0
    reopened: int = 0
    closed: int = 0


def _visit_values(views: Iterable[records.RecordView]) -> dict[str, dict[str, Any]]:
    by_visit: dict[str, dict[str, Any]] = {}
    for r in sorted(views, key=lambda v: (v.visit, v.form, -v.repeat)):
        # Repeat 1 wins over later instances of a repeating form (sorted last, so written last).
        by_visit.setdefault(r.visit.lower(), {}).update(r.values)
    return by_visit


def _latest_system_queries(participant_pk: int, check_ids: set[str]) -> dict[tuple[str, str, str, int], Query]:
    """The newest system query of each (check, visit, form, repeat) of a participant, in one read."""
    latest: dict[tuple[str, str, str, int], Query] = {}
    for q in Query.objects.filter(participant_pk=participant_pk, check_id__in=sorted(check_ids),
                                  origin=QueryOrigin.SYSTEM).order_by("raised_at", "id"):
        latest[(q.check_id, q.visit, q.form, q.repeat)] = q
    return latest


def _apply(outcome: check_rules.Outcome, check: Any, participant: Any, view: records.RecordView,
           form_fields: list[str], run: CheckRun, *, holds: list[lock_rules.Hold],
           existing: Query | None) -> None:
    if lock_rules.stops(lock_rules.governing(holds, view.participant_pk, view.visit, view.form), "query"):
        return  # locked data raise no queries (a batch run after lock changes nothing)
    if outcome.discrepant:
        if existing is None:
            _raise(SYSTEM, site=_site_of(participant), participant_pk=view.participant_pk,
                   subject=subject_label(participant), target=FORM_RECORD, target_pk=str(view.pk or ""),
                   visit=view.visit, form=view.form, repeat=view.repeat,
                   field=check.query_field(form_fields), check_id=check.id, origin=QueryOrigin.SYSTEM,
                   status=QueryStatus.OPEN, text=check.message.en, text_zh=check.message.zh or "",
                   raised_by=None, raised_at=timezone.now(), reason=gettext_noop("Edit check failed."))
            run.opened += 1
        elif existing.status == QueryStatus.CLOSED and existing.auto_closed:
            _reopen(SYSTEM, existing, {"status": QueryStatus.OPEN, "note": AUTO_REOPEN_NOTE,
                                       "reopened": existing.reopened + 1, "closed_by": None, "closed_at": None,
                                       "auto_closed": False},
                    expected_version=existing.version, reason=AUTO_REOPEN_NOTE)
            run.reopened += 1
    elif existing is not None and query_rules.is_outstanding(existing.status):
        close_query(SYSTEM, existing, note=AUTO_CLOSE_NOTE)
        run.closed += 1


def _form_fields(protocol: Any, form: str) -> list[str]:
    try:
        return [f.name for f in protocol.form(form).fields]
    except KeyError:
        return []


def run_checks_for_record(record: Any, *, participant: Any | None = None,
                          siblings: list[records.RecordView] | None = None) -> CheckRun:
    """Evaluate the checks a save of ``record`` touches: those on its form and visit, and those of other
    visits that read this visit's fields through ``[visit][field]``. Opens, re-opens and closes queries."""
    run = CheckRun()
    protocol = _protocol()
    checks = list(getattr(protocol, "edit_checks", None) or []) if protocol is not None else []
    if not checks:
        return run
    saved = records.view(record)
    relevant = [c for c in checks
                if c.applies_to(saved.form, saved.visit) or check_rules.reads_visit(c, saved.visit, saved.values)]
    if not relevant:
        # Most saves touch no check: no further reads, so a save stays one row and its entry.
        return run
    checks = relevant
    participant = participant or getattr(record, "participant", None) or records.participant(saved.participant_pk)
    all_views = siblings if siblings is not None else records.of_participant(saved.participant_pk)
    # The record as saved now, over whatever the database held for it.
    all_views = [v for v in all_views if (v.visit, v.form, v.repeat) != (saved.visit, saved.form, saved.repeat)]
    all_views.append(saved)
    by_visit = _visit_values(all_views)
    targets: list[tuple[Any, records.RecordView]] = []
    for check in checks:
        if check.applies_to(saved.form, saved.visit):
            targets.append((check, saved))
        if check_rules.reads_visit(check, saved.visit, saved.values):
            targets.extend((check, v) for v in all_views
                           if v is not saved and check.applies_to(v.form, v.visit))
    holds = holds_for(saved.participant_pk)
    queries = _latest_system_queries(saved.participant_pk, {check.id for check, _view in targets})
    for check, view in targets:
        values = {**by_visit.get(view.visit.lower(), {}), **view.values}
        outcome = check_rules.evaluate(check, values, by_visit)
        run.evaluated += 1
        _apply(outcome, check, participant, view, _form_fields(protocol, view.form), run, holds=holds,
               existing=queries.get((check.id, view.visit, view.form, view.repeat)))
    return run


def run_all_checks(actor: Actor, *, sites: list[str] | None = None,
                   progress: Callable[[list[Any], int], Iterable[Any]] | None = None) -> CheckRun:
    """Every edit check against every form record (``celltrial quality run-checks``, the worker task);
    ``sites`` limits the run to those sites' participants."""
    for code in sites or []:
        _require(actor, CHECKS_RUN, code)
    if sites is None:
        _require(actor, CHECKS_RUN, "")
    total = CheckRun()
    participants = {p.pk: p for p in records.participants_with_records()
                    if sites is None or p.site.code in sites}
    items = list(participants.items())
    for pk, participant in (progress(items, len(items)) if progress is not None else items):
        views = records.of_participant(pk)
        for view in views:
            with transaction.atomic():
                run = run_checks_for_record(view, participant=participant, siblings=views)
            total.evaluated += run.evaluated
            total.opened += run.opened
            total.reopened += run.reopened
            total.closed += run.closed
    return total


# --- source-data verification ---------------------------------------------------------------------------


def mark_sdv(actor: Actor, participant: Any, *, visit: str, form: str, repeat: int = 1) -> SdvMark:
    """A monitor marks a form source-data verified; marking again after a change clears the flag."""
    _require(actor, SDV_MARK, participant.site.code)
    _refuse_if_held(participant.pk, visit, form, "sdv")
    present = [r for r in records.of_participant(participant.pk)
               if (r.visit, r.form, r.repeat) == (visit, form, repeat)]
    if records.model() is not None and not present:
        raise QualityRefused("no_record", _("There is no record of %(form)s at %(visit)s to verify.") % {
            "form": form, "visit": visit})
    version = present[0].version if present else None
    now = timezone.now()
    current = SdvMark.objects.filter(participant_pk=participant.pk, visit=visit, form=form, repeat=repeat).first()
    if current is None:
        return _mark_sdv(actor, site=participant.site, participant_pk=participant.pk,
                         subject=subject_label(participant), visit=visit[:40], form=form[:100], repeat=repeat,
                         verified_by=_user(actor), verified_at=now, record_version=version)
    if not current.changed_since and current.record_version == version:
        raise QualityRefused("already", _("This form is already verified and has not changed since."))
    return _remark_sdv(actor, current, {"verified_by": _user(actor), "verified_at": now, "record_version": version,
                                        "changed_fields": [], "changed_at": None},
                       expected_version=current.version, reason=gettext_noop("Verified again after a change.")).instance


def flag_changed_since_sdv(actor: Actor, view: records.RecordView, changed: Iterable[str]) -> SdvMark | None:
    """After a save: add the changed fields to the form's SDV mark (the mark then reads "changed since SDV")."""
    names = sorted(set(changed))
    if not names:
        return None
    mark = SdvMark.objects.filter(participant_pk=view.participant_pk, visit=view.visit, form=view.form,
                                  repeat=view.repeat).first()
    if mark is None:
        return None
    with tracked(actor, mark, reason=SDV_CHANGED_REASON) as m:
        m.changed_fields = sorted(set(m.changed_fields) | set(names))
        m.changed_at = timezone.now()
    return mark


def changed_fields(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


# --- the casebook ---------------------------------------------------------------------------------------


def casebook(participant_pk: int) -> Casebook | None:
    return Casebook.objects.filter(participant_pk=participant_pk).first()


def sign_casebook(actor: Actor, participant: Any, *, password: str, meaning: str = "approved",
                  comment: str = "") -> Any:
    """The investigator's e-signature on the participant's casebook: every form record as it stands.

    Refused while queries on the participant are open or answered. A later change to any form voids it.
    """
    _require(actor, CASEBOOK_SIGN, participant.site.code)
    if actor.user is None:
        raise AccessDenied(CASEBOOK_SIGN, participant.site.code)
    outstanding = Query.objects.filter(participant_pk=participant.pk,
                                       status__in=[QueryStatus.OPEN, QueryStatus.ANSWERED]).count()
    if outstanding:
        raise QualityRefused("queries_outstanding", _(
            "%(n)s queries on this participant are still open or answered: they must be closed before the "
            "casebook is signed.") % {"n": outstanding})
    with transaction.atomic():
        book = casebook(participant.pk) or _open_casebook(actor, site=participant.site, participant_pk=participant.pk,
                                                          subject=subject_label(participant))
        return signatures.sign(actor, book, password=password, meaning=meaning, comment=comment[:1000])


def void_casebook_signature(actor: Actor, participant_pk: int) -> list[Any]:
    book = casebook(participant_pk)
    if book is None:
        return []
    return signatures.void_stale_signatures(actor, book)


def casebook_state(participant_pk: int) -> dict[str, Any]:
    """The casebook's signatures, each with whether it still holds."""
    book = casebook(participant_pk)
    if book is None:
        return {"casebook": None, "signatures": []}
    return {"casebook": book, "signatures": [(s, signatures.is_current(s, book))
                                             for s in signatures.signatures_for(book)]}
