"""The reference range follows the child's own record: age on the sampling date and sex come from the
participants room (``participants.interface.age_and_sex``), never from typing.

The rules cited:

- docs/labs.md "Reference ranges": a row is one sex (M, F or * for both) and an age interval
  ``[age_from, age_to)`` in years; a sex-specific row wins over a ``*`` row;
- the range set as loaded, labs/data/paediatric-illustrative-v1.yaml (ILLUSTRATIVE): HB ``*`` 6–12 y
  115–155 g/L, HB M 12–18 y 130–160 g/L, HB F 12–18 y 120–160 g/L; CREAT M 12–18 y 44–88 µmol/L,
  CREAT F 12–18 y 40–75 µmol/L;
- the protocol's age rule, participants/rules/age.py: a child is N years old from the N-th anniversary of
  the birth date (the day itself); the age in years here is completed months ÷ 12, cut to two decimals;
- the sampling date is the calendar date at the site (Site.timezone; the test site is Asia/Shanghai, UTC+8).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from celltrial.core.errors import ValidationFailed
from celltrial.labs import services
from celltrial.labs.models import LabResult
from tests.labs.records import dosed_child

pytestmark = pytest.mark.django_db


def _site_today(site) -> dt.date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(site.timezone)).date()


def _at(site, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zoneinfo.ZoneInfo(site.timezone))


def _years_before(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` earlier (a 29 February is taken as the 28th: this is not the leap-day test)."""
    if (day.month, day.day) == (2, 29):
        day -= dt.timedelta(days=1)
    return day.replace(year=day.year - years)


def test_the_range_changes_on_the_12th_birthday_as_the_site_calendar_has_it(site, ranges, coordinator_actor):
    assert site.timezone == "Asia/Shanghai"
    birthday = _site_today(site) - dt.timedelta(days=20)
    if (birthday.month, birthday.day) == (2, 29):
        birthday -= dt.timedelta(days=1)
    boy = dosed_child(site, sequence=901, dob=_years_before(birthday, 12), sex="1")
    eve = services.enter_panel(coordinator_actor, boy, visit="SCR", collected_at=_at(site, birthday - dt.timedelta(
        days=1), 9), values={"HB": ("125", "g/L")})[0]
    # 07:30 in Beijing on the birthday is 23:30 UTC the day before: the site's date is the birthday.
    early = _at(site, birthday, 7, 30)
    assert early.astimezone(dt.UTC).date() == birthday - dt.timedelta(days=1)
    on_the_day = services.enter_panel(coordinator_actor, boy, visit="D1", collected_at=early,
                                      values={"HB": ("125", "g/L")})[0]
    # The day before: 11 years 11 months = 143 months, 143 / 12 = 11.916… cut to 11.91 (never rounded to 12).
    assert (eve.age_years, eve.sex) == (Decimal("11.91"), "M")
    assert (eve.range_row.sex, eve.range_row.age_from, eve.range_row.low, eve.flag) == ("*", 6, 115, "")
    # From the 12th birthday itself: the boys' 12–18 y row, 130–160 g/L, so 125 g/L is low.
    assert (on_the_day.age_years, on_the_day.sex) == (Decimal("12.00"), "M")
    assert (on_the_day.range_row.sex, on_the_day.range_row.age_from, on_the_day.range_row.low,
            on_the_day.flag) == ("M", 12, 130, "L")


def test_the_range_follows_the_recorded_sex(site, ranges, coordinator_actor):
    dob = _years_before(_site_today(site) - dt.timedelta(days=100), 13)
    boy = dosed_child(site, sequence=903, dob=dob, sex="1", dose=False)
    girl = dosed_child(site, sequence=904, dob=dob, sex="2", dose=False)
    values = {"HB": ("125", "g/L"), "CREAT": ("80", "µmol/L")}
    by_boy = {r.analyte: r for r in services.enter_panel(coordinator_actor, boy, visit="SCR",
                                                          collected_at=timezone.now() - dt.timedelta(hours=2),
                                                          values=values)}
    by_girl = {r.analyte: r for r in services.enter_panel(coordinator_actor, girl, visit="SCR",
                                                           collected_at=timezone.now() - dt.timedelta(hours=2),
                                                           values=values)}
    assert by_boy["HB"].sex == "M" and by_girl["HB"].sex == "F"
    assert by_boy["HB"].age_years == by_girl["HB"].age_years and 13 <= by_boy["HB"].age_years < 14
    assert (by_boy["HB"].range_row.sex, by_boy["HB"].flag) == ("M", "L")      # 130–160 g/L for boys 12–17
    assert (by_girl["HB"].range_row.sex, by_girl["HB"].flag) == ("F", "")     # 120–160 g/L for girls 12–17
    assert (by_boy["CREAT"].range_row.sex, by_boy["CREAT"].flag) == ("M", "")    # 44–88 µmol/L
    assert (by_girl["CREAT"].range_row.sex, by_girl["CREAT"].flag) == ("F", "H")  # 40–75 µmol/L


def _blank(child, *fields: str) -> None:
    """The record as an import from a paper register may leave it: a date of birth known only to the month
    and sex "0" (ISO/IEC 5218: not known). The participants room's own entry refuses both (clean_identity),
    so the audited operation is called directly, as an import would."""
    from celltrial.core.actor import Actor
    from celltrial.participants.models import Identity
    from celltrial.participants.services import _edit_identity

    identity = Identity.objects.get(pk=child.identity_id)
    unknown = {"date_of_birth": "2016-04", "sex": "0"}
    _edit_identity(Actor.system("test"), identity, {f: unknown[f] for f in fields}, expected_version=identity.version,
                   reason="imported from the paper register")


@pytest.mark.parametrize(("fields", "english", "chinese"), [
    (("date_of_birth",), "has no date of birth", "没有出生日期"),
    (("sex",), "has no sex", "没有性别"),
    (("date_of_birth", "sex"), "has no date of birth and no sex", "没有出生日期和性别"),
])
def test_entry_is_refused_naming_what_the_record_lacks(site, ranges, coordinator_actor, fields, english, chinese):
    child = dosed_child(site, sequence=905, dose=False)
    _blank(child, *fields)

    def enter():
        return services.enter_panel(coordinator_actor, child, visit="SCR",
                                    collected_at=timezone.now() - dt.timedelta(hours=1), values={"ALT": ("24", "U/L")})

    with pytest.raises(ValidationFailed) as refused:
        enter()
    assert english in " ".join(refused.value.errors["participant"])
    with translation.override("zh-hans"), pytest.raises(ValidationFailed) as refused_zh:
        enter()
    assert chinese in " ".join(refused_zh.value.errors["participant"])
    assert not LabResult.objects.exists()


def test_a_draw_before_the_date_of_birth_is_refused(site, ranges, coordinator_actor, child):
    with pytest.raises(ValidationFailed) as refused:
        services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=_at(site, dt.date(2016, 4, 3), 9),
                             values={"ALT": ("24", "U/L")})
    assert "before the child's date of birth" in " ".join(refused.value.errors["collected_at"])


def test_the_entry_page_shows_age_and_sex_from_the_record_and_asks_for_neither(client, lab_people, child, ranges):
    from celltrial.participants.rules.age import calendar_age

    client.force_login(lab_people["coordinator"])
    url = reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D7"})
    page = client.get(url).content.decode()
    age = calendar_age(dt.date(2016, 4, 4), _site_today(child.site))
    assert 'name="age_years"' not in page and 'name="sex"' not in page
    assert f"{age.years} y {age.months} m today" in page and "Male" in page
    # Typed values are not read: the record's age and sex are stored.
    drawn = (timezone.now() - dt.timedelta(days=23)).astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    done = client.post(url, {"collected_at": drawn.strftime("%Y-%m-%dT%H:%M"), "age_years": "3", "sex": "F",
                             "alt": "24", "alt_unit": "U/L"})
    assert done.status_code == 302
    stored = LabResult.objects.get()
    at_draw = calendar_age(dt.date(2016, 4, 4), drawn.date())
    assert stored.sex == "M" and stored.age_years == (Decimal(at_draw.total_months) / 12).quantize(
        Decimal("0.01"), rounding="ROUND_DOWN")
    with translation.override("zh-hans"):
        zh = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"今天 {age.years} 岁 {age.months} 个月" in zh and "男" in zh


def test_the_entry_page_says_what_the_record_lacks(client, lab_people, child, ranges):
    _blank(child, "sex")
    client.force_login(lab_people["coordinator"])
    url = reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D7"})
    page = client.get(url).content.decode()
    assert 'id="record-missing"' in page and "has no sex" in page and 'id="age-sex"' not in page
    drawn = (timezone.now() - dt.timedelta(days=23)).astimezone(zoneinfo.ZoneInfo("Asia/Shanghai"))
    refused = client.post(url, {"collected_at": drawn.strftime("%Y-%m-%dT%H:%M"), "alt": "24", "alt_unit": "U/L"})
    assert refused.status_code == 400 and "has no sex" in refused.content.decode()
    assert not LabResult.objects.exists()


def test_the_api_takes_age_and_sex_from_the_record_and_returns_them(client, lab_people, child, ranges):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor
    from celltrial.participants.rules.age import calendar_age

    token = issue_token(Actor.system("test"), lab_people["coordinator"], name="t")
    drawn = timezone.now() - dt.timedelta(days=23)
    body = {"visit": "D7", "collected_at": drawn.isoformat(), "age_years": 3, "sex": "F",
            "results": {"ALT": {"value": "24", "unit": "U/L"}}}
    made = client.post(f"/api/labs/participants/{child.pk}/panels", body, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")
    assert made.status_code == 200
    at_draw = calendar_age(dt.date(2016, 4, 4), drawn.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date())
    expected = (Decimal(at_draw.total_months) / 12).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert made.json()[0]["sex"] == "M" and Decimal(made.json()[0]["age_years"]) == expected
