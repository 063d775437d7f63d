"""labs.interface: lab_series and abnormal_labs, as the safety room (DLT proposals) and escalation (the SRC
packet) read them."""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.labs import interface, services
from tests.labs.records import draw

pytestmark = pytest.mark.django_db


def test_series_oldest_first_with_flag_grade_and_version(child, ranges, coordinator_actor):
    for visit, days_ago, alt in (("D7", 23, "245"), ("SCR", 40, "24"), ("D14", 14, "228")):
        services.enter_panel(coordinator_actor, child, visit=visit, collected_at=draw(days_ago),
                             values={"ALT": (alt, "U/L"), "PLT": ("262", "×10⁹/L")})
    series = interface.lab_series(child, "alt")
    assert [p.visit for p in series] == ["SCR", "D7", "D14"]
    assert [p.grade for p in series] == [0, 3, 3] and [p.flag for p in series] == ["", "H", "H"]
    point = series[1]
    assert (point.value, point.unit, point.ctcae_version, point.subject) == (245.0, "U/L", "5.0", child.subject_id)
    assert point.ctcae_term == "Alanine aminotransferase increased" and isinstance(point.collected_at, dt.datetime)
    assert (series[2].collected_at - series[1].collected_at).days == 9


def test_abnormal_labs_are_the_flagged_or_graded_ones(child, ranges, coordinator_actor, site):
    from tests.labs.records import dosed_child

    services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                         values={"ALT": ("245", "U/L"), "AST": ("30", "U/L"), "INR": ("1.5", "")})
    other = dosed_child(site, sequence=965, dose=False)
    services.enter_panel(coordinator_actor, other, visit="D7", collected_at=draw(23),
                         values={"ALT": ("41", "U/L")})
    found = interface.abnormal_labs([child])
    assert [(p.analyte, p.grade, p.flag) for p in found] == [("ALT", 3, "H"), ("INR", None, "H")]
    assert {p.participant_id for p in interface.abnormal_labs([child, other])} == {child.pk, other.pk}
    assert interface.abnormal_labs([]) == []
