"""A rater enters the CARS and the ABC before dosing and at Week 24 and sees the totals and the change
(issue 10).

The default protocol rates the pre-dose CARS2-ST at Screening (it is the "CARS ≥ 30" inclusion criterion)
and the ABC at Baseline; both visits are Day −1. The capture room takes as an instrument's baseline the last
scored pre-dose visit (ADaM ``ABLFL``; see ``capture/outcomes.py``), so the Screening CARS is the CARS
baseline and the Baseline ABC the ABC baseline. The rater rates the screening CARS in the browser before the
investigator signs eligibility (the criterion reads it), the child is enrolled and dosed 168 days ago (Week 24
is due today) through the participants room's services, and the rater then enters the Baseline ABC and the
Week 24 CARS and ABC. The capture page's summary shows the Week 24 totals with the change and % change from
baseline, which are checked against numbers worked out by hand from the published scoring rules:

* CARS: Schopler E, Reichler RJ, Renner BR. The Childhood Autism Rating Scale (CARS). Los Angeles: Western
  Psychological Services; 1988 (CARS2-ST: Schopler E et al., WPS 2010, same rule): 15 items, each rated 1 to 4
  in half points; total = sum of the 15 ratings (15–60).
* ABC: Aman MG, Singh NN, Stewart AW, Field CJ. The Aberrant Behavior Checklist. Am J Ment Defic
  1985;89:485-491 (Aman & Singh, ABC manual, Slosson 1986): 58 items rated 0 to 3; total = sum; Irritability
  = items 2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57 (15 items).
* Change = Week 24 − baseline; % change = 100 × (Week 24 − baseline) / baseline, to one decimal.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEEK_24_DAY = 168  # protocol day of W24 (Day 0 = dosing)
IRRITABILITY = (2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57)  # Aman et al. 1985 key

# Screening (pre-dose) CARS: items 1–10 rated 3, items 11–15 rated 2.5 → 10 × 3 + 5 × 2.5 = 42.5.
CARS_BASELINE = {n: "3" if n <= 10 else "2.5" for n in range(1, 16)}
# Week 24 CARS: items 1–10 rated 2.5, items 11–15 rated 2 → 10 × 2.5 + 5 × 2 = 35.
CARS_WEEK_24 = {n: "2.5" if n <= 10 else "2" for n in range(1, 16)}
# CARS change 35 − 42.5 = −7.5; % change 100 × −7.5 / 42.5 = −17.647… → −17.6 %.

# Baseline ABC: the 15 Irritability items rated 3, the other 43 rated 2 → 45 + 86 = 131 (Irritability 45).
ABC_BASELINE = {n: "3" if n in IRRITABILITY else "2" for n in range(1, 59)}
# Week 24 ABC: the 15 Irritability items rated 2, the other 43 rated 1 → 30 + 43 = 73 (Irritability 30).
ABC_WEEK_24 = {n: "2" if n in IRRITABILITY else "1" for n in range(1, 59)}
# ABC change 73 − 131 = −58; % change 100 × −58 / 131 = −44.274… → −44.3 %.


def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


@pytest.fixture
def team(make_user):
    return {"investigator": make_user("inv", "investigator", pii=True),
            "coordinator": make_user("crc", "coordinator", pii=True),
            "pharmacist": make_user("ph", "pharmacist"),
            "rater": make_user("rater1", "rater")}


@pytest.fixture
def child(team, site, settings, tmp_path):
    """A child screened and consented 175 days ago, with every screening form entered except the CARS, which
    the rater rates in the journey."""
    from django.utils import timezone

    from celltrial.participants.vault import ensure_vault_key
    from tests.participants import helpers as h

    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    ensure_vault_key()
    docs = h.add_documents(site)
    days = WEEK_24_DAY + 7
    child = h.screen(team["coordinator"], site, screened_on=timezone.localdate() - dt.timedelta(days=days))
    h.consent(team["investigator"], child, docs, password=PASSWORD,
              obtained_at=timezone.now() - dt.timedelta(days=days))
    screening = h.eligible_values()
    del screening["cars2"]
    h.enter(team["coordinator"], child, screening)
    return child


def _enrol_and_dose(team, child):
    """Eligibility signed (the rater's CARS meets "CARS ≥ 30"), enrolled, dosed 168 days ago: Week 24 is due today."""
    from django.utils import timezone

    from celltrial.participants import services
    from celltrial.participants.permissions import DOSING_RECORD, ENROL
    from tests.participants import helpers as h

    site = child.site
    services.sign_eligibility(h.actor(team["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    day0 = timezone.localdate() - dt.timedelta(days=WEEK_24_DAY)
    subject = services.enrol(h.actor(team["coordinator"], ENROL, site), child, day0=day0)
    dosed = services.record_dosing(h.actor(team["pharmacist"], DOSING_RECORD, site), subject, dosed_on=day0)
    assert dosed.visits.get(code="W24").target_date == timezone.localdate()
    return dosed


def _open_from_grid(page, base, pk, visit, form):
    page.goto(f"{base}/capture/p/{pk}/")
    with page.expect_navigation():
        page.click(f'#grid-{visit}-{form} a[href$="/{visit}/{form}/1/"]')
    assert page.url.endswith(f"/capture/p/{pk}/{visit}/{form}/1/")


def _rate_cars(page, ratings, total):
    for n, value in ratings.items():
        page.fill(f"#id_cars2_{n:02d}", value)
    page.locator('[data-calc="cars2_total"]').filter(has_text=total).wait_for()  # the form's live sum
    with page.expect_navigation():
        page.click("#save-complete")
    assert "Complete" in page.inner_text("#record-state")


def _rate_abc(page, ratings):
    for n, value in ratings.items():
        page.check(f'input[name="abc_{n:02d}"][value="{value}"]')
    with page.expect_navigation():
        page.click("#save-complete")
    assert "Complete" in page.inner_text("#record-state")


def _number(text: str) -> float:
    """A number shown in the summary table ("—" when the page shows none, which fails here)."""
    assert text not in ("", "—"), "the summary shows no number here"
    return float(text)


def _row(page, instrument, visit):
    row = page.locator(f"#score-{instrument}-{visit}")
    return [row.locator(f"td.{cell}").inner_text().strip() for cell in ("total", "change", "pct")]


def test_a_rater_enters_cars_and_abc_before_dosing_and_at_week_24_and_sees_totals_and_change(
        live_server, audit_purge_on_teardown, page, browser, team, child, screenshot):
    base = live_server.url
    login(page, base, "rater1")

    # The pre-dose CARS, rated at Screening: the total is the sum of the 15 ratings.
    _open_from_grid(page, base, child.pk, "SCR", "cars2")
    _rate_cars(page, CARS_BASELINE, "42.5")
    assert page.inner_text("#score-total") == "42.5"

    subject = _enrol_and_dose(team, child)

    _open_from_grid(page, base, subject.pk, "BL", "abc")
    _rate_abc(page, ABC_BASELINE)
    assert page.inner_text("#score-total") == "131"
    assert page.inner_text('[data-subscale="irritability"]') == "45"

    _open_from_grid(page, base, subject.pk, "W24", "cars2")
    _rate_cars(page, CARS_WEEK_24, "35")
    assert _number(page.inner_text("#score-total")) == 35

    _open_from_grid(page, base, subject.pk, "W24", "abc")
    _rate_abc(page, ABC_WEEK_24)
    assert page.inner_text("#score-total") == "73"
    assert page.inner_text('[data-subscale="irritability"]') == "30"

    # The capture page: the Week 24 totals and the change from each instrument's pre-dose baseline.
    page.goto(f"{base}/capture/p/{subject.pk}/")
    table = page.locator("#score-table")
    assert "Change from baseline" in table.inner_text() and "% change" in table.inner_text()
    cars_total, cars_change, cars_pct = _row(page, "CARS2_ST", "W24")
    assert _number(cars_total) == 35 and cars_change == "-7.5" and cars_pct == "-17.6 %"
    abc_total, abc_change, abc_pct = _row(page, "ABC_AMAN58", "W24")
    assert abc_total == "73" and abc_change == "-58" and abc_pct == "-44.3 %"  # whole points: no ".0"
    assert _row(page, "CARS2_ST", "SCR") == ["42.5", "—", "—"]  # the baseline itself has no change
    assert _row(page, "ABC_AMAN58", "BL") == ["131", "—", "—"]
    screenshot(page, "capture-rater-change")

    # On a 390 px phone, in Chinese: the page fits and the summary speaks Chinese.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    login(phone, base, "rater1")
    phone.goto(f"{base}/capture/p/{subject.pk}/")
    assert phone.locator("html").get_attribute("lang") == "zh-hans"
    chinese = ["量表", "访视", "总分", "较基线变化", "变化百分比（%）"]
    assert [h.strip() for h in phone.locator("#score-table thead th").all_inner_texts()] == chinese
    # At phone width the header row is visually hidden and each cell shows its header from data-label.
    cells = phone.locator("#score-ABC_AMAN58-W24 td")
    assert [cells.nth(i).get_attribute("data-label") for i in range(5)] == chinese
    assert _row(phone, "ABC_AMAN58", "W24") == ["73", abc_change, "-44.3 %"]
    _fits(phone)
    phone.context.close()
