"""The labs demo: ranges loaded, panels for the dosed children, one ALT at CTCAE Grade 3 on two draws nine days
apart that then resolves, a Grade 1 fever at 2 h — and running it twice changes nothing.

One dosed child here: the escalation room's sentinel rule needs a signed SRC decision before a second child
of a cohort is dosed, so the test child carries both the ALT case and the fever."""

from __future__ import annotations

import pytest

from celltrial.labs.models import InfusionVitals, LabResult, ReferenceRangeSet

pytestmark = pytest.mark.django_db


def test_demo_alt_case_fever_and_idempotence(site):
    import time

    from celltrial.labs import interface
    from celltrial.labs.demo import load_labs_demo
    from tests.labs.records import dosed_child

    first = dosed_child(site, sequence=971, dosed_days_ago=30)
    started = time.monotonic()
    load_labs_demo(out=lambda _line: None)
    assert time.monotonic() - started < 10
    counts = (ReferenceRangeSet.objects.count(), LabResult.objects.count(), InfusionVitals.objects.count())
    load_labs_demo(out=lambda _line: None)
    assert counts == (ReferenceRangeSet.objects.count(), LabResult.objects.count(), InfusionVitals.objects.count())

    alt = interface.lab_series(first, "ALT")
    grade3 = [p for p in alt if p.grade is not None and p.grade >= 3]
    assert [p.visit for p in grade3] == ["D7", "D14"] and (grade3[1].collected_at - grade3[0].collected_at).days == 9
    assert alt[-1].grade == 0 and alt[-1].collected_at > grade3[1].collected_at  # resolved
    fevers = InfusionVitals.objects.filter(fever_grade__gte=1)
    assert [(v.participant_id, v.time_point, v.fever_grade) for v in fevers] == [(first.pk, "2h", 1)]
    assert InfusionVitals.objects.filter(participant=first).count() == 6
    assert {r.visit for r in LabResult.objects.filter(participant=first)} == {"SCR", "D1", "D7", "D14", "D28"}
