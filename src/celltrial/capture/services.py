"""The capture room's named operations: enter a form (draft or complete, scored on completion), and
the guardian's one-time questionnaire links (issue, remind, open, save progress, submit).

Every write checks the permission inside (a guardian has no account: the one-time link is checked
here instead), validates against the data dictionary, and writes the record with its audit entry in
one transaction; data quality is asked before (``quality.gate.entry_lock``) and told after
(``quality.gate.after_save``) each save, inside it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts.permissions import actor_may
from celltrial.audit.operations import Create, Update
from celltrial.capture import participant_ref
from celltrial.capture.engine import values as engine
from celltrial.capture.engine.scoring import score_form
from celltrial.capture.messages import REFUSALS, problem_text
from celltrial.capture.models import FormRecord, FormStatus, GuardianLink
from celltrial.capture.permissions import FORM_ENTER, GUARDIAN_LINK
from celltrial.capture.quality import gate
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, InputError, ValidationFailed
from celltrial.core.steady import steady_reads
from celltrial.participants.interface import entry_refusal, subject_label
from celltrial.study.interface import protocol_version_in_force, site_time_zones

_create = Create("enter_form", FormRecord, permission=FORM_ENTER, fields=(
    "site", "participant", "visit", "form", "repeat", "values", "status", "dictionary_version", "completed_at",
    "completed_by", "scores"))
_update = Update("enter_form", FormRecord, permission=FORM_ENTER, fields=(
    "values", "status", "completed_at", "completed_by", "scores"))
_issue = Create("issue_guardian_link", GuardianLink, permission=GUARDIAN_LINK, fields=(
    "site", "participant", "visit", "form", "token_sha256", "expires_at", "issued_by", "reminder_of"))
_revoke = Update("revoke_guardian_link", GuardianLink, permission=GUARDIAN_LINK, fields=("revoked_at",))
_open = Update("open_guardian_link", GuardianLink, permission=GUARDIAN_LINK, fields=("opened_at",))
_submit = Update("submit_guardian_questionnaire", GuardianLink, permission=GUARDIAN_LINK, fields=("submitted_at",))

# Forms a guardian may fill through a link: the caregiver-reported instruments.
GUARDIAN_INSTRUMENTS = frozenset({"ABC_AMAN58", "ABC_KRUG57", "SRS2"})
LINK_DAYS = 7
LINK_SALT = "celltrial.capture.guardian-link"
DRAFT_REASON = gettext_noop("draft saved before first completion")
GUARDIAN_REASON = gettext_noop("guardian saved progress")


# --- reading ---------------------------------------------------------------------------------------------


def protocol() -> tuple[int, Any]:
    found = protocol_version_in_force()
    if found is None:
        raise ValidationFailed(_("No protocol is loaded: load one before entering forms."))
    return found


def site_today(site_code: str) -> dt.date:
    return site_now(site_code).date()


def site_now(site_code: str) -> dt.datetime:
    zone = site_time_zones().get(site_code) or "Asia/Shanghai"
    return timezone.now().astimezone(zoneinfo.ZoneInfo(zone))


def record(participant: Any, visit: str, form: str, repeat: int = 1) -> FormRecord | None:
    return FormRecord.objects.filter(participant=participant, visit=visit, form=form, repeat=repeat).first()


def visit_values(participant: Any, rows: list[FormRecord] | None = None) -> dict[str, dict[str, Any]]:
    """Every entered value of a participant (or of ``rows``, the participant's records already read) by
    lower-case visit code (``[bl][abc_01]``); a repeating form contributes its first instance."""
    if rows is None:
        rows = list(FormRecord.objects.filter(participant=participant))
    found: dict[str, dict[str, Any]] = {}
    for r in sorted(rows, key=lambda r: (r.visit, r.form, -r.repeat)):
        found.setdefault(r.visit.lower(), {}).update(r.values)
    return found


def form_definition(p: Any, visit: str, form: str) -> tuple[Any, Any]:
    try:
        visit_def = p.visit(visit)
    except KeyError:
        raise ValidationFailed({"visit": [_("The protocol has no visit %(code)s.") % {"code": visit}]}) from None
    if form not in visit_def.forms:
        raise ValidationFailed({"form": [_("Form %(form)s is not entered at visit %(visit)s.") % {
            "form": form, "visit": visit_def.code}]})
    return visit_def, p.form(form)


def evaluate(participant: Any, visit: str, form: str, raw: Mapping[str, Any], *, repeat: int = 1,
             survey: bool = False) -> engine.Outcome:
    """The live page's view of the values typed so far (what branching hides, what calc fields show),
    by the same engine the save uses."""
    _n, p = protocol()
    _visit, form_def = form_definition(p, visit, form)
    existing = record(participant, visit, form, repeat)
    return _clean(participant, visit, form_def, raw, existing, complete=False, survey=survey, repeat=repeat)


def _clean(participant: Any, visit: str, form_def: Any, raw: Mapping[str, Any], existing: FormRecord | None, *,
           complete: bool, survey: bool = False, repeat: int = 1,
           events: dict[str, dict[str, Any]] | None = None) -> engine.Outcome:
    events = visit_values(participant) if events is None else events
    context = {k: v for k, v in events.get(visit.lower(), {}).items()
               if k not in {f.name for f in form_def.fields}}
    now = site_now(participant.site.code)
    return engine.clean(form_def, raw, today=now.date(), now=now, context=context, events=events,
                        previous=existing.values if existing else None, complete=complete, survey=survey,
                        smart={"event-name": visit.lower(), "record-name": subject_label(participant),
                               "current-instance": repeat})


def _raise(form_def: Any, problems: list[engine.Problem], lang: str = "en") -> None:
    labels = {f.name: f.label.get(lang) for f in form_def.fields}
    errors: dict[str, list[str]] = {}
    for problem in problems:
        errors.setdefault(problem.field, []).append(problem_text(problem, labels.get(problem.field, "")))
    raise ValidationFailed(errors)


def _lang() -> str:
    from django.utils.translation import get_language

    return "zh" if (get_language() or "en").lower().startswith("zh") else "en"


# --- entering a form -------------------------------------------------------------------------------------


def _refuse(participant: Any, visit: str, form: str = "", *, first_visit: str | None = None) -> None:
    """Refuse entry at ``visit`` (and ``form``, when named): before enrolment, without consent, or held by
    data quality (a freeze or lock at the form, visit, participant or database level)."""
    if visit != (first_visit or participant_first_visit()) and not participant_ref.enrolled(participant):
        raise ValidationFailed({"visit": [_("Only the screening visit is entered before enrolment.")]})
    reason = entry_refusal(participant, visit)
    if reason:
        raise ValidationFailed(str(REFUSALS.get(reason, reason)))
    locked = gate.entry_lock(participant, visit, form)
    if locked:
        raise ValidationFailed(locked)


def participant_first_visit() -> str:
    _n, p = protocol()
    return p.visits[0].code


def save_form(actor: Actor, participant: Any, *, visit: str, form: str, values: Mapping[str, Any],
              expected_version: int | None = None, reason: str = "", repeat: int = 1,
              complete: bool | None = True) -> FormRecord:
    """Enter or change one form of one visit.

    ``complete=True`` requires every required field shown and scores an instrument form;
    ``complete=False`` keeps a draft; ``None`` completes when nothing required is missing. A change
    after first completion needs a reason; a save based on a stale ``expected_version`` is refused
    with both versions (``ConflictError``).
    """
    if not actor.is_system and not actor_may(actor, FORM_ENTER, participant.site.code):
        raise AccessDenied(FORM_ENTER, participant.site.code)
    return _save(actor, participant, visit=visit, form=form, values=values, expected_version=expected_version,
                 reason=reason, repeat=repeat, complete=complete)


def _save(actor: Actor, participant: Any, *, visit: str, form: str, values: Mapping[str, Any],
          expected_version: int | None, reason: str, repeat: int, complete: bool | None,
          survey: bool = False, draft_reason: str = DRAFT_REASON) -> FormRecord:
    # One reading of the protocol in force and the sites' time zones serves the whole save.
    with steady_reads():
        return _save_steadily(actor, participant, visit=visit, form=form, values=values,
                              expected_version=expected_version, reason=reason, repeat=repeat, complete=complete,
                              survey=survey, draft_reason=draft_reason)


def _save_steadily(actor: Actor, participant: Any, *, visit: str, form: str, values: Mapping[str, Any],
                   expected_version: int | None, reason: str, repeat: int, complete: bool | None,
                   survey: bool, draft_reason: str) -> FormRecord:
    number, p = protocol()
    _visit, form_def = form_definition(p, visit, form)
    if not isinstance(repeat, int) or not 1 <= repeat <= (99 if form_def.repeating else 1):
        raise ValidationFailed({"repeat": [_("This form is entered once per visit.") if not form_def.repeating
                                           else _("A repeating form has instances 1 to 99.")]})
    _refuse(participant, visit, form, first_visit=p.visits[0].code)
    lang = _lang()
    with transaction.atomic():
        # The participant's records, read once: this form's record and the values of every visit.
        rows = list(FormRecord.objects.filter(participant=participant))
        existing = next((r for r in rows if (r.visit, r.form, r.repeat) == (visit, form, repeat)), None)
        outcome = _clean(participant, visit, form_def, values, existing, complete=complete is True, survey=survey,
                         repeat=repeat, events=visit_values(participant, rows))
        problems = outcome.problems
        finishing = complete is True or (complete is None and not any(x.code == "required" for x in problems))
        if complete is None:
            problems = [x for x in problems if x.code != "required"]
        if problems:
            _raise(form_def, problems, lang)
        cleaned = outcome.values
        scores: dict[str, Any] = {}
        if finishing:
            try:
                scores = score_form(form_def, cleaned)
            except InputError as exc:
                raise ValidationFailed({"__all__": [_("The instrument could not be scored: %(why)s") % {
                    "why": str(exc)}]}) from exc
        status = FormStatus.COMPLETE if finishing else FormStatus.DRAFT
        if existing is None:
            if expected_version not in (None, 0):
                raise ValidationFailed({"version": [_("This form has not been entered yet.")]})
            try:
                saved = _create(actor, site=participant.site, participant=participant, visit=visit, form=form,
                                repeat=repeat, values=cleaned, status=status, dictionary_version=number,
                                completed_at=timezone.now() if finishing else None,
                                completed_by=actor.username if finishing else "", scores=scores)
            except IntegrityError:
                # Two first saves of the same form at once: the other one won; never a 500.
                raise ValidationFailed({"version": [_("Someone else entered this form a moment ago. Reload it, "
                                                      "review their values and save again.")]}) from None
            old: dict[str, Any] = {}
        else:
            old = dict(existing.values)
            changes: dict[str, Any] = {"values": cleaned, "status": status, "scores": scores}
            if finishing and existing.completed_at is None:
                changes |= {"completed_at": timezone.now(), "completed_by": actor.username}
            if existing.completed_at is None and not (reason or "").strip():
                reason = draft_reason
            saved = _update(actor, existing, changes, reason=reason,
                            expected_version=existing.version if expected_version is None else expected_version
                            ).instance
        gate.after_save(actor, saved, old, cleaned, participant=participant,
                        others=[r for r in rows if r.pk != saved.pk])
        from celltrial.capture.interface import saved_subscribers

        for subscriber in saved_subscribers():
            subscriber(actor, participant, visit, form)
    return saved


# --- the guardian's one-time links ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    link: GuardianLink
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def guardian_actor(participant: Any) -> Actor:
    """The guardian who fills a questionnaire through a link: no account, named by the child's label."""
    return Actor(user=None, role="guardian", site_code=participant.site.code,
                 label=f"guardian of {subject_label(participant)}")


def issue_guardian_link(actor: Actor, participant: Any, *, visit: str, form: str,
                        days: int = LINK_DAYS) -> IssuedLink:
    """A new one-time link for ``form`` at ``visit``; an earlier open link for the same form is revoked
    (a reminder replaces it), so only one link works at a time."""
    if not actor.is_system and not actor_may(actor, GUARDIAN_LINK, participant.site.code):
        raise AccessDenied(GUARDIAN_LINK, participant.site.code)
    _n, p = protocol()
    _visit, form_def = form_definition(p, visit, form)
    if form_def.instrument not in GUARDIAN_INSTRUMENTS:
        raise ValidationFailed({"form": [_("%(form)s is not a caregiver questionnaire.") % {"form": form}]})
    if not 1 <= days <= 30:
        raise ValidationFailed({"days": [_("A link is valid for 1 to 30 days.")]})
    _refuse(participant, visit)
    existing = record(participant, visit, form)
    if existing is not None and existing.complete:
        raise ValidationFailed({"form": [_("This questionnaire is already complete.")]})
    token = signing.dumps({"n": secrets.token_urlsafe(18)}, salt=LINK_SALT, compress=True)
    with transaction.atomic():
        earlier = open_links(participant, visit, form)
        for old in earlier:
            _revoke(actor, old, {"revoked_at": timezone.now()}, expected_version=old.version,
                    reason=gettext_noop("replaced by a reminder link"))
        link = _issue(actor, site=participant.site, participant=participant, visit=visit, form=form,
                      token_sha256=_digest(token), expires_at=timezone.now() + dt.timedelta(days=days),
                      issued_by=actor.username, reminder_of=earlier[0] if earlier else None)
    return IssuedLink(link, token)


def open_links(participant: Any, visit: str, form: str) -> list[GuardianLink]:
    return list(GuardianLink.objects.filter(participant=participant, visit=visit, form=form,
                                            submitted_at__isnull=True, revoked_at__isnull=True,
                                            expires_at__gt=timezone.now()))


class LinkRefused(ValidationFailed):
    """The link is unknown, altered, expired, revoked or already used (one message for all: a link
    does not reveal which)."""


def link_for(token: str) -> GuardianLink:
    """The link a token names, if it still works."""
    refused = LinkRefused(_("This link is not valid: it may have expired or been used. Ask the study team "
                            "for a new one."))
    if not isinstance(token, str) or len(token) > 400:
        raise refused
    try:
        signing.loads(token, salt=LINK_SALT, max_age=dt.timedelta(days=30))
    except signing.BadSignature:
        raise refused from None
    link = GuardianLink.objects.select_related("site", "participant").filter(token_sha256=_digest(token)).first()
    if link is None or link.revoked_at or link.submitted_at or link.expires_at <= timezone.now():
        raise refused
    return link


def guardian_open(token: str) -> GuardianLink:
    link = link_for(token)
    if link.opened_at is None:
        participant = participant_ref.get(link.participant_id)
        link = _open(guardian_actor(participant), link, {"opened_at": timezone.now()}, expected_version=link.version,
                     reason=gettext_noop("guardian opened the questionnaire link")).instance
    return link


def guardian_save(token: str, values: Mapping[str, Any], *, submit: bool) -> FormRecord:
    """Save the guardian's answers: progress (a draft) or the submission, which completes and scores the
    questionnaire and uses the link up. The entry is by "guardian of <subject>"."""
    link = link_for(token)
    participant = participant_ref.get(link.participant_id)
    actor = guardian_actor(participant)
    with transaction.atomic():
        saved = _save(actor, participant, visit=link.visit, form=link.form, values=values, expected_version=None,
                      reason=GUARDIAN_REASON, repeat=1, complete=bool(submit), survey=True,
                      draft_reason=GUARDIAN_REASON)
        if submit:
            _submit(actor, link, {"submitted_at": timezone.now()}, expected_version=link.version,
                    reason=gettext_noop("guardian submitted the questionnaire"))
    return saved
