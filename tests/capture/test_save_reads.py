"""What one form save reads: each study fact once (the protocol in force, the sites' time zones, the
participant's locks), the participant's records once, and no re-validation of what the save does not
change. These are counts of statements, not times: a save that starts re-reading grows them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from celltrial.audit.operations import Update
from celltrial.capture import services
from celltrial.capture.models import FormRecord
from celltrial.capture.permissions import FORM_ENTER
from celltrial.core import steady
from celltrial.core.actor import Actor
from celltrial.core.errors import ValidationFailed
from celltrial.participants.models import Participant
from tests.capture.test_services import _vitals

pytestmark = pytest.mark.django_db


def _statements(context: CaptureQueriesContext, table: str) -> list[str]:
    return [q["sql"] for q in context.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_a_change_to_a_form_reads_each_fact_once(enrolled, crc):
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    with CaptureQueriesContext(connection) as saving:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals(hr="96"), reason="recounted")
    assert len(_statements(saving, "study_protocolversion")) == 1
    assert len(_statements(saving, "study_site")) == 1  # the time zones; the record's site comes with it
    assert len(_statements(saving, "quality_lock")) == 1  # before the save and in the edit checks
    assert len([q for q in _statements(saving, "capture_formrecord") if "FOR UPDATE" in q or "UPDATE" not in q]) <= 2
    # The whole save, with its consent gating, audit entry and edit checks: 23 statements measured on
    # SQLite at this commit; a little room for the PostgreSQL savepoint dialect, none for a re-read loop.
    assert len(saving.captured_queries) <= 26, "\n".join(q["sql"][:120] for q in saving.captured_queries)


def test_a_save_at_a_visit_no_criterion_reads_does_not_re_evaluate_eligibility(enrolled, crc):
    with CaptureQueriesContext(connection) as saving:
        services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    assert not _statements(saving, "participants_eligibilitydecision")


def test_steady_reads_keep_the_first_answer_inside_the_block_only():
    answers = iter(range(10))
    assert steady.read("k", lambda: next(answers)) == 0
    assert steady.read("k", lambda: next(answers)) == 1  # outside a block: read every time
    with steady.steady_reads():
        first = steady.read("k", lambda: next(answers))
        with steady.steady_reads():  # nested: the same block
            assert steady.read("k", lambda: next(answers)) == first
        assert steady.read("other", lambda: next(answers)) == first + 1
    assert steady.read("k", lambda: next(answers)) == first + 2


def test_an_update_still_checks_what_it_changes(enrolled, crc, team, site):
    """Unchanged foreign keys and unique members are not re-checked; a changed one is, in full."""
    services.save_form(crc, enrolled, visit="BL", form="vitals", values=_vitals())
    services.save_form(crc, enrolled, visit="SCR", form="vitals", values=_vitals(), reason="entered")
    move = Update("move_record", FormRecord, permission=FORM_ENTER, fields=("visit", "participant"))
    record = FormRecord.objects.get(participant=enrolled, visit="BL", form="vitals")
    system = Actor.system("test")
    with pytest.raises(ValidationFailed) as taken:
        move(system, record, {"visit": "SCR"}, expected_version=record.version, reason="moved")
    assert "__all__" in taken.value.errors or "visit" in taken.value.errors  # (participant, visit, form, repeat)
    record.refresh_from_db()
    with pytest.raises(ValidationFailed) as missing:
        move(system, record, {"participant": Participant(pk=999_999)}, expected_version=record.version,
             reason="moved")
    assert "participant" in missing.value.errors
