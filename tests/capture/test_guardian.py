"""The guardian's one-time questionnaire link: signed, stored only as a hash, expiring, single-use, bound to
participant, visit and form, no account, rate-limited, Chinese by default; progress is kept; the
submission is an audited entry by "guardian of <subject>"; a reminder link replaces the first."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.utils import timezone

from celltrial.audit.models import AuditEntry
from celltrial.capture import services
from celltrial.capture.models import FormRecord, GuardianLink
from celltrial.capture.views import guardian_path
from celltrial.core.errors import ValidationFailed
from tests.capture.test_scoring import abc


@pytest.fixture
def issued(enrolled, team, site):
    from celltrial.accounts import permissions

    actor = permissions.actor_for(team["coordinator"], "capture.guardian_link.issue", site.code)
    return services.issue_guardian_link(actor, enrolled, visit="BL", form="abc")


def _post(client, token, values, action):
    return client.post(guardian_path(token), {**values, "action": action})


def test_only_the_hash_is_stored_and_the_link_names_one_form(issued):
    link = GuardianLink.objects.get()
    assert link.token_sha256 == hashlib.sha256(issued.token.encode()).hexdigest()
    assert issued.token not in str(link.__dict__)
    assert (link.visit, link.form) == ("BL", "abc")


def test_the_guardian_page_opens_in_chinese_without_an_account(client, issued):
    page = client.get(guardian_path(issued.token))
    html = page.content.decode()
    assert page.status_code == 200 and 'lang="zh-hans"' in html and "异常行为量表" in html
    assert 'name="viewport"' in html and "第1项" in html
    assert GuardianLink.objects.get().opened_at is not None


def test_progress_is_kept_and_the_submission_is_by_the_guardian_and_scored(client, issued, enrolled):
    partial = {k: v for k, v in abc(2).items() if k <= "abc_20"}
    assert _post(client, issued.token, partial, "save").status_code == 302
    kept = FormRecord.objects.get(form="abc", visit="BL")
    assert kept.status == "draft" and kept.values["abc_10"] == "2" and kept.values["abc_30"] == ""
    assert 'value="2" checked' in client.get(guardian_path(issued.token)).content.decode()
    done = _post(client, issued.token, abc(2), "submit")
    assert done.status_code == 200 and "guardian-done" in done.content.decode()
    record = FormRecord.objects.get(form="abc", visit="BL")
    assert record.status == "complete" and record.scores["total"] == 73
    entries = AuditEntry.objects.filter(object_type="capture.formrecord", object_id=str(record.pk))
    assert {(e.username, e.role) for e in entries} == {
        (f"guardian of {enrolled.subject_id}", "guardian")}


def test_a_used_link_works_no_more(client, issued):
    _post(client, issued.token, abc(1), "submit")
    again = client.get(guardian_path(issued.token))
    assert again.status_code == 410
    with pytest.raises(ValidationFailed):
        services.guardian_save(issued.token, abc(2), submit=True)


def test_an_incomplete_submission_is_refused_and_keeps_the_answers(client, issued):
    partial = {k: v for k, v in abc(3).items() if k != "abc_58"}
    page = _post(client, issued.token, partial, "submit")
    assert page.status_code == 400 and 'value="3" checked' in page.content.decode()
    assert GuardianLink.objects.get().submitted_at is None


def test_an_expired_an_altered_and_a_revoked_link_are_refused(client, issued, enrolled, team, site):
    from celltrial.accounts import permissions

    assert client.get(guardian_path(issued.token[:-2] + "xx")).status_code == 410
    assert client.get(guardian_path("not-a-token")).status_code == 410
    actor = permissions.actor_for(team["coordinator"], "capture.guardian_link.issue", site.code)
    reminder = services.issue_guardian_link(actor, enrolled, visit="BL", form="abc")
    assert client.get(guardian_path(issued.token)).status_code == 410, "the reminder replaced the first link"
    assert client.get(guardian_path(reminder.token)).status_code == 200
    assert GuardianLink.objects.get(pk=reminder.link.pk).reminder_of_id == issued.link.pk
    from celltrial.capture.services import _revoke

    later = timezone.now() + dt.timedelta(days=8)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(timezone, "now", lambda: later)
        assert client.get(guardian_path(reminder.token)).status_code == 410, "expired after 7 days"
    assert _revoke  # the operation exists for the coordinator's revocation


def test_links_are_only_for_caregiver_questionnaires(enrolled, team, site):
    from celltrial.accounts import permissions

    actor = permissions.actor_for(team["coordinator"], "capture.guardian_link.issue", site.code)
    with pytest.raises(ValidationFailed):
        services.issue_guardian_link(actor, enrolled, visit="BL", form="vitals")


def test_requests_are_rate_limited(client, issued):
    from celltrial.capture.views import GUARDIAN_RATE

    statuses = [client.get(guardian_path(issued.token)).status_code for _ in range(GUARDIAN_RATE + 1)]
    assert statuses[0] == 200 and statuses[-1] == 429


def test_the_live_evaluation_works_through_the_link(client, issued):
    response = client.post(guardian_path(issued.token) + "evaluate/", abc(1))
    assert response.status_code == 200 and response.json()["hidden"] == []


def test_the_coordinator_sees_it_arrive(client, issued, team, enrolled):
    _post(client, issued.token, abc(1), "submit")
    client.force_login(team["coordinator"])
    from django.urls import reverse

    page = client.get(reverse("capture_participant", args=[enrolled.pk])).content.decode()
    assert "guardian submitted" in page
    assert "guardian-arrived" in client.get(reverse("capture")).content.decode()
