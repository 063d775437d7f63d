"""What participants.interface offers other rooms to read: the age on a date and the sex (labs reference
ranges), look-ups by key and label, a cohort's members and the visit calendar.

The age rule (participants/rules/age.py, the protocol's ``participants.leap_day_birthday``): a child is N
years old from the N-th anniversary of birth; a 29 February birthday falls on 1 March in a common year
(``march_1``, the default protocol's setting: "An individual born on February 29 attains a specified age on
March 1 of any year that is not a leap year") or on 28 February where the protocol says ``february_28``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pytest
from django.utils import timezone

from celltrial.core.actor import Actor
from celltrial.participants import interface, services
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db

D = dt.date
LEAPLING = D(2012, 2, 29)
BORN = D(2016, 4, 4)


def _child(site, dob: dt.date = BORN, *, sex: str = "1", sequence: int = 931):
    return services.screen_child(Actor.system("test"), site_code=site.code, screened_on=timezone.localdate(),
                                 identity=h.identity(dob, sex=sex, sequence=sequence))


@pytest.mark.parametrize(("on", "years", "months"), [
    (D(2026, 2, 28), 13, 13 * 12 + 11),  # common year: not yet 14 on 28 February …
    (D(2026, 3, 1), 14, 14 * 12),        # … 14 on 1 March (march_1)
    (D(2028, 2, 28), 15, 15 * 12 + 11),
    (D(2028, 2, 29), 16, 16 * 12),       # a leap year: the birthday itself
    (D(2016, 4, 28), 4, 4 * 12 + 1),     # a month is completed on the 29th, else on the 1st of the next month
    (D(2016, 3, 31), 4, 4 * 12 + 1),     # … 29 March, so one month on 31 March
])
def test_age_on_a_date_by_the_protocols_rule(site, on, years, months):
    child = _child(site, LEAPLING, sequence=933)
    found = interface.age_and_sex(child, on)
    assert (found.years, found.total_months, found.sex, found.missing, found.complete) == (
        years, months, "M", (), True)


def test_the_february_28_rule_when_the_protocol_declares_it(site, tmp_path):
    from celltrial.study.protocol import default_protocol_path
    from celltrial.study.services import load_protocol_file

    child = _child(site, LEAPLING, sequence=935)
    assert interface.age_and_sex(child, D(2026, 2, 28)).years == 13
    folder = tmp_path / "protocol"
    shutil.copytree(default_protocol_path().parent, folder)
    path = folder / default_protocol_path().name
    text = path.read_text()
    assert "leap_day_birthday: march_1" in text
    path.write_text(text.replace("leap_day_birthday: march_1", "leap_day_birthday: february_28"))
    load_protocol_file(Actor.system("test"), path)
    assert interface.age_and_sex(child, D(2026, 2, 27)).years == 13
    assert interface.age_and_sex(child, D(2026, 2, 28)).years == 14


def test_sex_is_the_records_and_the_date_of_birth_is_never_handed_out(site):
    girl = _child(site, D(2015, 6, 1), sex="2", sequence=936)
    found = interface.age_and_sex(girl, D(2026, 6, 1))
    assert (found.years, found.sex) == (11, "F")
    fields = {f.name for f in dataclasses.fields(found)}
    assert fields == {"on", "years", "total_months", "sex", "missing", "before_birth"}
    assert "2015" not in repr(found) and D(2015, 6, 1) not in dataclasses.astuple(found)


def test_what_the_record_lacks_is_named(site):
    from celltrial.participants.models import Identity
    from celltrial.participants.services import _edit_identity

    child = _child(site, sequence=937)
    identity = Identity.objects.get(pk=child.identity_id)
    # A date of birth known only to the month, sex 0 (ISO/IEC 5218: not known): what an import may carry;
    # the room's own entry refuses both, so the audited operation is called directly.
    _edit_identity(Actor.system("test"), identity, {"date_of_birth": "2016-04", "sex": "0"},
                   expected_version=identity.version, reason="imported from the paper register")
    found = interface.age_and_sex(child, D(2026, 1, 1))
    assert (found.years, found.total_months, found.sex, found.missing, found.complete) == (
        None, None, "", ("date_of_birth", "sex"), False)


def test_a_date_before_birth_has_no_age(site):
    found = interface.age_and_sex(_child(site, sequence=939), D(2016, 4, 3))
    assert (found.years, found.before_birth, found.missing) == (None, True, ())


def test_look_ups_by_key_and_label(site):
    first, second = _child(site, sequence=941), _child(site, sequence=943)
    assert interface.participant(first.pk) == first and interface.participant(str(second.pk)) == second
    assert interface.participant(first.pk).site == site
    assert interface.participant("x") is None and interface.participant(10 ** 9) is None
    assert interface.participants_by_pk([second.pk, "x", 10 ** 9, first.pk, second.pk]) == [second, first]
    assert interface.participant_by_label(f"  {first.screening_number} ") == first
    assert interface.participant_by_label("") is None and interface.participant_by_label("NOPE-1") is None


def test_cohort_members_and_the_visit_calendar(site):
    from tests.labs.records import dosed_child

    dosed = dosed_child(site, sequence=945)
    assert dosed.cohort is not None
    _child(site, sequence=947)  # screening only: no cohort
    assert interface.cohort_members(dosed.cohort) == [dosed]
    assert interface.cohort_members(dosed.cohort + 1) == []
    calendar = interface.visits([dosed])
    assert [v.code for v in calendar] == [v.code for v in dosed.visits.order_by("order")]
    first = calendar[0]
    assert (first.participant_id, first.participant, first.site) == (dosed.pk, dosed, site)
    day0 = next(v for v in calendar if v.code == "D0")
    assert day0.target_date == dosed.day0 and day0.earliest is not None and day0.latest is not None
