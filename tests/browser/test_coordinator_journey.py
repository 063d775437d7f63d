"""A coordinator logs in, switches to Chinese and reads the schedule of activities (issue 2, Must show)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_coordinator_sees_schedule_of_activities_in_chinese(live_server, audit_purge_on_teardown, page, screenshot, make_user):
    from celltrial.study.models import ProtocolVersion

    make_user("crc", "coordinator")
    definition = ProtocolVersion.objects.get().definition()
    day0 = next(v for v in definition.visits if v.day == 0)

    page.goto(f"{live_server.url}/")
    assert "/accounts/login/" in page.url
    page.fill("#id_username", "crc")
    page.fill("#id_password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_selector("section.role-panel[data-role=coordinator]")

    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "欢迎" in page.inner_text("h1")

    with page.expect_navigation():
        page.click("nav.main >> text=方案")
    grid = page.locator("#schedule-grid")
    grid.wait_for()
    assert page.locator("#schedule").inner_text() == "访视计划"
    header = grid.locator("thead").inner_text()
    assert day0.label.zh in header
    assert day0.label.en not in header
    first_form = definition.form(next(f for v in definition.visits for f in v.forms))
    assert first_form.label.zh in grid.locator("tbody").inner_text()
    assert grid.locator("td.mark").count() > 10
    shot = screenshot(page, "coordinator-schedule-zh")
    assert shot.stat().st_size > 10_000
