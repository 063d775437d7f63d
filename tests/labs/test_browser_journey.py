"""Browser journey (Chromium, phone width 390×844): a coordinator enters a Grade 3 ALT on the D7 panel and sees
its grade in the lab grid; a refused unit keeps what was typed; the grid, the entry form and the vitals
table are never wider than the phone, in English and in Chinese."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests.browser.fixtures import CHROMIUM, SCREENSHOTS, login  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def test_coordinator_enters_a_grade_3_alt_on_a_phone(live_server, audit_purge_on_teardown, browser, screenshot,
                                                      make_user, site, settings, tmp_path):
    from django.utils import timezone

    from celltrial.participants.vault import ensure_vault_key
    from tests.labs.records import dosed_child, load_shipped_ranges

    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    ensure_vault_key()
    make_user("crc_phone", "coordinator")
    child = dosed_child(site, sequence=985)
    load_shipped_ranges(site)
    base = live_server.url
    drawn = (timezone.now() - dt.timedelta(days=23)).astimezone(zoneinfo.ZoneInfo(site.timezone))

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    page = context.new_page()
    login(page, base, "crc_phone")
    page.goto(f"{base}/labs/participants/{child.pk}/")
    _fits(page)
    with page.expect_navigation():
        page.click(f"a[href='/labs/participants/{child.pk}/enter/D7/']")
    _fits(page)
    page.fill("#id_collected_at", drawn.strftime("%Y-%m-%dT%H:%M"))
    # Age and sex are not typed: the page shows them from the participant's record (born 2016-04-04, a boy).
    assert not page.locator("#id_age_years").count() and not page.locator("#id_sex").count()
    assert "Male" in page.inner_text("#age-sex")
    page.fill("#id_alt", "245")
    page.fill("#id_creat", "0.4")  # creatinine typed in mg/dL while the unit still says µmol/L: implausible
    with page.expect_navigation():
        page.click("#panel-form button[type=submit]")
    assert "plausible" in page.content() and page.input_value("#id_alt") == "245"
    page.select_option("#id_creat_unit", "mg/dL")
    screenshot(page, "labs-1-entry-phone")
    with page.expect_navigation():
        page.click("#panel-form button[type=submit]")
    cell = page.locator("td[data-analyte='ALT'][data-visit='D7']")
    assert "245" in cell.inner_text() and "H" in cell.inner_text() and "G3" in cell.inner_text()
    assert "grade-high" in (cell.get_attribute("class") or "")
    assert "Grade 3" in (cell.locator("div").first.get_attribute("title") or "")
    _fits(page)
    screenshot(page, "labs-2-grid-phone")
    from celltrial.core.actor import Actor
    from celltrial.labs import services

    start = timezone.now() - dt.timedelta(days=30)
    for point, minutes, temp in (("pre", -10, "36.6"), ("2h", 121, "38.3")):
        services.record_infusion_vitals(Actor.system("test"), child, time_point=point, infusion_started_at=start,
                                        measured_at=start + dt.timedelta(minutes=minutes), values={
                                            "temperature_c": temp, "heart_rate": "96", "systolic_bp": "104",
                                            "diastolic_bp": "64", "resp_rate": "20", "spo2": "99"})
    page.goto(f"{base}/labs/participants/{child.pk}/vitals/")
    assert "G1" in page.locator("tr[data-point='2h']").inner_text()
    _fits(page)
    screenshot(page, "labs-4-vitals-phone")
    page.goto(f"{base}/labs/ranges/")
    _fits(page)
    context.close()

    zh = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = zh.new_page()
    login(page, base, "crc_phone")
    page.goto(f"{base}/labs/participants/{child.pk}/")
    assert "丙氨酸氨基转移酶" in page.content() and "血常规" in page.content()
    _fits(page)
    screenshot(page, "labs-3-grid-phone-zh")
    page.goto(f"{base}/labs/participants/{child.pk}/enter/D14/")
    _fits(page)
    zh.close()
