"""Data quality's REST API: queries (list, raise, answer, close, re-open), SDV marks, freeze and lock,
the casebook signature, the missing-form list and the batch run of the edit checks.

Each route names its permission in its authentication, so a caller whose role lacks it is refused
(403) before the body is read; the services check again at the participant's site. A refused field is
a 422 naming it, a stale version a 409 with both versions.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query as QueryParams
from ninja import Router, Schema
from pydantic import Field

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.capture.quality import records, services
from celltrial.capture.quality.lists import missing_forms
from celltrial.capture.quality.models import Lock, Query
from celltrial.capture.quality.permissions import (
    CASEBOOK_SIGN,
    CHECKS_RUN,
    LOCK_MANAGE,
    QUALITY_VIEW,
    QUERY_ANSWER,
    QUERY_CLOSE,
    QUERY_RAISE,
    SDV_MARK,
)
from celltrial.capture.quality.rules.errors import QualityRefused
from celltrial.core.api_answers import answer
from celltrial.core.errors import ValidationFailed
from celltrial.core.fields import (
    IntKey,
    Limit,
    NoControlCharacters,
    Offset,
    bounded,
    responses,
)

router = Router(tags=["quality"])

Text = Annotated[str, bounded(1000), NoControlCharacters]
Name = Annotated[str, bounded(100), NoControlCharacters]


def _run(request: HttpRequest, call: Any) -> Any:
    try:
        return answer(call)
    except QualityRefused as exc:
        return JsonResponse({"detail": [{"loc": ["body"], "msg": str(exc), "type": exc.code}]}, status=422,
                            json_dumps_params={"ensure_ascii": False})


def _participant(request: HttpRequest, pk: Any) -> Any:
    child = records.participant(pk)
    if child is None or not permissions.has_perm(request.user, QUALITY_VIEW, child.site.code):
        raise ValidationFailed({"participant_id": ["No such participant at your sites."]})
    return child


def _query(request: HttpRequest, pk: int) -> Query:
    return get_object_or_404(permissions.scope(Query.objects.select_related("site"), request.user, QUALITY_VIEW),
                             pk=pk)


# --- shapes ---------------------------------------------------------------------------------------------


class QueryOut(Schema):
    id: int
    site: str
    participant_id: int
    subject: str
    target: str
    target_pk: str
    visit: str
    form: str
    repeat: int
    field: str
    check_id: str
    origin: str
    status: str
    text: str
    text_zh: str
    answer: str
    note: str
    raised_at: dt.datetime
    answered_at: dt.datetime | None
    closed_at: dt.datetime | None
    auto_closed: bool
    reopened: int
    version: int

    @staticmethod
    def resolve_site(obj: Query) -> str:
        return obj.site.code

    @staticmethod
    def resolve_participant_id(obj: Query) -> int:
        return obj.participant_pk


class QueryFilter(Schema):
    status: Literal["open", "answered", "closed"] | None = None
    site: Annotated[str, bounded(32), NoControlCharacters] | None = None
    participant_id: IntKey | None = None
    form: Name | None = None
    limit: Limit = 100
    offset: Offset = 0


class RaiseIn(Schema):
    participant_id: IntKey
    visit: Annotated[str, bounded(40), NoControlCharacters] = ""
    form: Name = ""
    repeat: int = Field(default=1, ge=1, le=999)
    field: Name
    target: Name = "capture.formrecord"
    target_pk: Annotated[str, bounded(40), NoControlCharacters] = ""
    text: Text


class AnswerIn(Schema):
    answer: Text
    version: int | None = None


class NoteIn(Schema):
    note: Text
    version: int | None = None


class SdvIn(Schema):
    participant_id: IntKey
    visit: Annotated[str, bounded(40), NoControlCharacters]
    form: Name
    repeat: int = Field(default=1, ge=1, le=999)


class SdvOut(Schema):
    id: int
    subject: str
    visit: str
    form: str
    repeat: int
    verified_at: dt.datetime
    record_version: int | None
    changed_fields: list[str]
    changed_since: bool


class LockIn(Schema):
    level: Literal["database", "participant", "visit", "form"]
    kind: Literal["freeze", "lock"]
    participant_id: IntKey | None = None
    visit: Annotated[str, bounded(40), NoControlCharacters] = ""
    form: Name = ""
    reason: Text


class ReleaseIn(Schema):
    reason: Text
    version: int | None = None


class LockOut(Schema):
    id: int
    level: str
    kind: str
    participant_id: int | None
    subject: str
    visit: str
    form: str
    placed_at: dt.datetime
    placed_reason: str
    active: bool
    released_at: dt.datetime | None
    release_reason: str
    version: int

    @staticmethod
    def resolve_participant_id(obj: Lock) -> int | None:
        return obj.participant_pk


class LockFilter(Schema):
    active: bool = True
    limit: Limit = 100
    offset: Offset = 0


class SignIn(Schema):
    password: Annotated[str, Field(min_length=1, max_length=256)]
    meaning: Literal["approved", "authored"] = "approved"
    comment: Text = ""


class SignatureOut(Schema):
    id: int
    meaning: str
    signer_name: str
    signed_at: dt.datetime
    content_hash: str


class GapOut(Schema):
    participant_id: int
    subject: str
    site: str
    visit: str
    form: str
    kind: str
    due: dt.date | None
    days: int | None


class MissingFilter(Schema):
    site: Annotated[str, bounded(32), NoControlCharacters] | None = None
    kind: Literal["missing", "overdue", "incomplete"] | None = None


class RunOut(Schema):
    queued: bool


# --- queries --------------------------------------------------------------------------------------------


@router.get("/queries", response=responses(list[QueryOut]), auth=Requires(QUALITY_VIEW),
            summary="Queries of the caller's sites")
def query_list(request: HttpRequest, filters: QueryParams[QueryFilter]) -> Any:
    qs = permissions.scope(Query.objects.select_related("site"), request.user, QUALITY_VIEW)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.site:
        qs = qs.filter(site__code=filters.site)
    if filters.participant_id:
        qs = qs.filter(participant_pk=filters.participant_id)
    if filters.form:
        qs = qs.filter(form=filters.form)
    return list(qs[filters.offset: filters.offset + filters.limit])


@router.get("/queries/{quality_query_id}", response=responses(QueryOut, lookup=True), auth=Requires(QUALITY_VIEW), summary="One query")
def query_get(request: HttpRequest, quality_query_id: IntKey) -> Any:
    return _query(request, quality_query_id)


@router.post("/queries", response=responses(QueryOut), auth=Requires(QUERY_RAISE),
             summary="Raise a manual query on any field")
def query_raise(request: HttpRequest, body: RaiseIn) -> Any:
    def call() -> Any:
        child = _participant(request, body.participant_id)
        actor = permissions.actor_for(request.user, QUERY_RAISE, child.site.code)
        return services.raise_query(actor, services.Target(child, body.visit, body.form, body.repeat, body.field,
                                                           body.target, body.target_pk), text=body.text)

    return _run(request, call)


@router.post("/queries/{quality_query_id}/answer", response=responses(QueryOut, lookup=True, conflict=True), auth=Requires(QUERY_ANSWER),
             summary="Answer an open query")
def query_answer(request: HttpRequest, quality_query_id: IntKey, body: AnswerIn) -> Any:
    query = _query(request, quality_query_id)
    return _run(request, lambda: services.answer_query(permissions.actor_for(request.user, QUERY_ANSWER, query.site.code), query,
                                                       answer=body.answer, expected_version=body.version))


@router.post("/queries/{quality_query_id}/close", response=responses(QueryOut, lookup=True, conflict=True), auth=Requires(QUERY_CLOSE),
             summary="Close an open or answered query")
def query_close(request: HttpRequest, quality_query_id: IntKey, body: NoteIn) -> Any:
    query = _query(request, quality_query_id)
    return _run(request, lambda: services.close_query(permissions.actor_for(request.user, QUERY_CLOSE, query.site.code), query,
                                                      note=body.note, expected_version=body.version))


@router.post("/queries/{quality_query_id}/reopen", response=responses(QueryOut, lookup=True, conflict=True), auth=Requires(QUERY_CLOSE),
             summary="Re-open a closed query or send an answer back")
def query_reopen(request: HttpRequest, quality_query_id: IntKey, body: NoteIn) -> Any:
    query = _query(request, quality_query_id)
    return _run(request, lambda: services.reopen_query(permissions.actor_for(request.user, QUERY_CLOSE, query.site.code), query,
                                                       note=body.note, expected_version=body.version))


# --- SDV, locks, casebook -------------------------------------------------------------------------------


@router.post("/sdv", response=responses(SdvOut), auth=Requires(SDV_MARK),
             summary="Mark a form source-data verified")
def sdv(request: HttpRequest, body: SdvIn) -> Any:
    def call() -> Any:
        child = _participant(request, body.participant_id)
        return services.mark_sdv(permissions.actor_for(request.user, SDV_MARK, child.site.code), child, visit=body.visit,
                                 form=body.form, repeat=body.repeat)

    return _run(request, call)


@router.get("/locks", response=responses(list[LockOut]), auth=Requires(LOCK_MANAGE),
            summary="Freezes and locks")
def lock_list(request: HttpRequest, filters: QueryParams[LockFilter]) -> Any:
    qs = permissions.scope(Lock.objects.all(), request.user, LOCK_MANAGE)
    if filters.active:
        qs = qs.filter(active=True)
    return list(qs[filters.offset: filters.offset + filters.limit])


@router.post("/locks", response=responses(LockOut), auth=Requires(LOCK_MANAGE),
             summary="Freeze or lock a form, a visit, a participant or the database")
def lock_place(request: HttpRequest, body: LockIn) -> Any:
    def call() -> Any:
        child = None
        if body.level != "database":
            if body.participant_id is None:
                raise ValidationFailed({"participant_id": ["Name the participant."]})
            child = _participant(request, body.participant_id)
        actor = permissions.actor_for(request.user, LOCK_MANAGE, child.site.code if child is not None else "")
        return services.place_hold(actor, services.HoldScope(body.level, child, body.visit, body.form),
                                   kind=body.kind, reason=body.reason)

    return _run(request, call)


@router.post("/locks/{quality_lock_id}/release", response=responses(LockOut, lookup=True, conflict=True), auth=Requires(LOCK_MANAGE),
             summary="Unfreeze or unlock, with a reason")
def lock_release(request: HttpRequest, quality_lock_id: IntKey, body: ReleaseIn) -> Any:
    hold = get_object_or_404(permissions.scope(Lock.objects.all(), request.user, LOCK_MANAGE), pk=quality_lock_id)
    return _run(request, lambda: services.release_hold(permissions.actor_for(request.user, LOCK_MANAGE, hold.audit_site_code()), hold,
                                                       reason=body.reason, expected_version=body.version))


@router.post("/casebooks/{participant_id}/sign", response=responses(SignatureOut, lookup=True), auth=Requires(CASEBOOK_SIGN),
             summary="The investigator's e-signature on a participant's casebook")
def casebook_sign(request: HttpRequest, participant_id: IntKey, body: SignIn) -> Any:
    def call() -> Any:
        child = _participant(request, participant_id)
        return services.sign_casebook(permissions.actor_for(request.user, CASEBOOK_SIGN, child.site.code), child,
                                      password=body.password, meaning=body.meaning, comment=body.comment)

    return _run(request, call)


# --- lists and the batch run ----------------------------------------------------------------------------


@router.get("/missing", response=responses(list[GapOut]), auth=Requires(QUALITY_VIEW),
            summary="Missing, incomplete and overdue forms at the caller's sites")
def missing(request: HttpRequest, filters: QueryParams[MissingFilter]) -> Any:
    allowed = permissions.site_codes_with(request.user, QUALITY_VIEW)
    return [{"participant_id": g.participant, "subject": g.subject, "site": g.site, "visit": g.visit,
             "form": g.form, "kind": g.kind, "due": g.due, "days": g.days}
            for g in missing_forms(today=timezone.localdate())
            if (permissions.ALL_SITES in allowed or g.site in allowed)
            and (not filters.site or g.site == filters.site) and (not filters.kind or g.kind == filters.kind)][:1000]


@router.post("/checks/run", response=responses(RunOut), auth=Requires(CHECKS_RUN),
             summary="Run every edit check in the worker (of the caller's sites)")
def checks_run(request: HttpRequest) -> Any:
    from celltrial.capture.quality.tasks import run_checks_task

    codes = sorted(permissions.site_codes_with(request.user, CHECKS_RUN))
    run_checks_task(None if permissions.ALL_SITES in codes else codes)
    return {"queued": True}
