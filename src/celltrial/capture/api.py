"""The capture room's REST API: the data dictionary's forms (metadata), a participant's form records and
scored instruments, the stored file of a file or signature field, and form saves with the same validation,
reason and conflict rules as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Path, Router, Schema
from pydantic import Field

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.capture import downloads, outcomes, participant_ref, services
from celltrial.capture.models import FormRecord
from celltrial.capture.permissions import CAPTURE_VIEW, FORM_ENTER, GUARDIAN_LINK
from celltrial.core.api_answers import answer, refused
from celltrial.core.errors import InputError, ValidationFailed
from celltrial.core.fields import ErrorOut, NoControlCharacters, ValidationErrorOut, bounded, responses

router = Router(tags=["capture"])
IntKey = Annotated[int, Field(ge=1, le=2**31 - 1)]
VisitCode = Annotated[str, bounded(40), NoControlCharacters]
FormName = Annotated[str, bounded(100), NoControlCharacters]
FieldName = Annotated[str, bounded(100), NoControlCharacters]
RepeatNumber = Annotated[int, Field(ge=1, le=99)]
# What a stored file is served as: the type sniffed from its bytes at upload and again when read.
_FILE_CONTENT = {t: {"schema": {"type": "string", "format": "binary"}}
                 for t in ("application/pdf", "image/png", "image/jpeg", "application/octet-stream")}


class ChoiceOut(Schema):
    code: str
    label_en: str
    label_zh: str


class FieldOut(Schema):
    name: str
    type: str
    label_en: str
    label_zh: str
    units: str | None
    min: float | str | None
    max: float | str | None
    required: bool
    branching: str | None
    calc: str | None
    annotation: str | None
    section_header: str | None
    matrix_group: str | None
    choices: list[ChoiceOut]


class FormMetaOut(Schema):
    name: str
    label_en: str
    label_zh: str
    instrument: str | None
    repeating: bool
    visits: list[str]
    fields: list[FieldOut]


class RecordOut(Schema):
    id: int
    visit: str
    form: str
    repeat: int
    values: dict[str, Any]
    status: str
    dictionary_version: int
    completed_at: dt.datetime | None
    completed_by: str
    scores: dict[str, Any]
    version: int
    updated_at: dt.datetime


class SummaryOut(Schema):
    subject: str
    instrument: str
    visit: str
    total: float | None
    change_from_baseline: float | None
    percent_change: float | None
    responder: bool | None
    responder_status: str
    responder_reason: str
    rule_version: str


class FormIn(Schema):
    values: dict[str, Any]
    expected_version: int | None = None
    reason: Annotated[str, bounded(1000)] = ""
    repeat: Annotated[int, Field(ge=1, le=99)] = 1
    complete: bool = True


class LinkOut(Schema):
    token: str
    path: str
    expires_at: dt.datetime


def _run(call: Any) -> Any:
    try:
        return answer(call)
    except InputError as exc:  # an engine refusal that names no field
        return refused(ValidationFailed({"__all__": [str(exc)]}))


def _participant(request: HttpRequest, pk: int) -> Any:
    try:
        return participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    except Http404:
        raise Http404("participant") from None


def _text(value: Any, lang: str) -> str:
    return value.get(lang) if value is not None else ""


@router.get("/forms", response=responses(list[FormMetaOut], lookup=True), auth=Requires(CAPTURE_VIEW),
            summary="The data dictionary's forms in force: fields, types, units, ranges, logic, action tags")
def forms(request: HttpRequest) -> Any:
    _n, p = services.protocol()
    return [{
        "name": f.name, "label_en": f.label.get("en"), "label_zh": f.label.get("zh"), "instrument": f.instrument,
        "repeating": f.repeating, "visits": [v.code for v in p.visits if f.name in v.forms],
        "fields": [{"name": x.name, "type": x.type, "label_en": x.label.get("en"), "label_zh": x.label.get("zh"),
                    "units": x.units, "min": x.min, "max": x.max, "required": x.required, "branching": x.branching,
                    "calc": x.calc, "annotation": x.annotation,
                    "section_header": x.section_header.get("en") if x.section_header else None,
                    "matrix_group": x.matrix_group,
                    "choices": [{"code": c.code, "label_en": c.label.get("en"), "label_zh": c.label.get("zh")}
                                for c in x.choices or ()]} for x in f.fields],
    } for f in p.forms]


@router.get("/participants/{participant_id}/records", response=responses(list[RecordOut], lookup=True),
            auth=Requires(CAPTURE_VIEW), summary="A participant's form records (values, status, scores)")
def records(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    child = _participant(request, participant_id)
    return list(FormRecord.objects.filter(participant=child).order_by("visit", "form", "repeat"))


@router.get("/participants/{participant_id}/instruments", response=responses(list[SummaryOut], lookup=True),
            auth=Requires(CAPTURE_VIEW),
            summary="Scored instruments by visit: change from baseline and the RUPP responder rule")
def instruments(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    child = _participant(request, participant_id)
    return [{"subject": r.subject, "instrument": r.instrument, "visit": r.visit, "total": r.total,
             "change_from_baseline": r.change, "percent_change": r.percent_change, "responder": r.responder,
             "responder_status": r.responder_status, "responder_reason": r.responder_reason,
             "rule_version": r.rule_version} for r in outcomes.summaries([child])]


@router.post("/participants/{participant_id}/forms/{visit}/{form}", response=responses(RecordOut, lookup=True, conflict=True),
             auth=Requires(FORM_ENTER), summary="Enter or change one form (draft or complete; reason after completion)")
def form_save(request: HttpRequest, participant_id: Path[IntKey], visit: Path[VisitCode], form: Path[FormName],
              body: FormIn) -> Any:
    child = _participant(request, participant_id)
    actor = permissions.actor_for(request.user, FORM_ENTER, child.site.code)
    return _run(lambda: services.save_form(actor, child, visit=visit, form=form, values=body.values,
                                           expected_version=body.expected_version, reason=body.reason,
                                           repeat=body.repeat, complete=body.complete))


@router.post("/participants/{participant_id}/forms/{visit}/{form}/guardian-link", response=responses(LinkOut, lookup=True),
             auth=Requires(GUARDIAN_LINK), summary="A one-time link for the guardian to fill a caregiver questionnaire")
def guardian_link(request: HttpRequest, participant_id: Path[IntKey], visit: Path[VisitCode],
                  form: Path[FormName]) -> Any:
    child = _participant(request, participant_id)
    actor = permissions.actor_for(request.user, GUARDIAN_LINK, child.site.code)

    def call() -> Any:
        from celltrial.capture.views import guardian_path

        issued = services.issue_guardian_link(actor, child, visit=visit, form=form)
        return {"token": issued.token, "path": guardian_path(issued.token), "expires_at": issued.link.expires_at}

    return _run(call)


@router.get("/participants/{participant_id}/forms/{visit}/{form}/files/{file_field}",
            response={401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ValidationErrorOut},
            auth=Requires(CAPTURE_VIEW), summary="The stored file or signature of one field of a form record",
            description="The bytes as stored, after checking them against the SHA-256 recorded at upload (a "
                        "mismatch or a missing file is refused with 409, never served). The content type is "
                        "the one sniffed from the bytes, never the uploader's claim; `Repr-Digest` carries the "
                        "SHA-256. Every read is recorded in the form record's audit trail. 404 when the form "
                        "has no such file or signature field, or nothing is stored in it.",
            openapi_extra={"responses": {200: {
                "description": "The file (`Content-Disposition: attachment`; a signature PNG `inline`)",
                "content": _FILE_CONTENT}}})
def stored_file(request: HttpRequest, participant_id: Path[IntKey], visit: Path[VisitCode], form: Path[FormName],
                file_field: Path[FieldName], repeat: RepeatNumber = 1) -> Any:
    child = _participant(request, participant_id)
    actor = permissions.actor_for(request.user, CAPTURE_VIEW, child.site.code)
    try:
        found = downloads.read_file(actor, child, visit=visit, form=form, repeat=repeat, field=file_field)
    except downloads.FileMissing:
        raise Http404("file") from None
    except downloads.StorageFault as exc:
        return JsonResponse({"detail": str(exc)}, status=409, json_dumps_params={"ensure_ascii": False})
    return downloads.file_response(found)
