"""The capture demo: Baseline forms for the enrolled children, scored; a guardian link pending; twice is once."""

from __future__ import annotations

import time

from celltrial.capture.models import FormRecord, GuardianLink


def test_the_demo_enters_baseline_forms_and_loads_once(enrolled, make_user):
    from celltrial.capture.demo import load_capture_demo

    make_user("coordinator", "coordinator")
    make_user("rater", "rater")
    lines: list[str] = []
    started = time.monotonic()
    load_capture_demo(lines.append)
    assert time.monotonic() - started < 10
    forms = {(r.visit, r.form): r for r in FormRecord.objects.filter(participant=enrolled)}
    assert {("BL", "vitals"), ("BL", "cgi_s"), ("BL", "abc")} <= set(forms)
    assert forms[("BL", "abc")].scores["total"] is not None and forms[("BL", "vitals")].values["weight_kg"]
    assert GuardianLink.objects.filter(participant=enrolled, visit="W24", form="abc").count() == 1
    counts = (FormRecord.objects.count(), GuardianLink.objects.count())
    load_capture_demo(lines.append)
    assert (FormRecord.objects.count(), GuardianLink.objects.count()) == counts
