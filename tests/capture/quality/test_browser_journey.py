"""Browser journey: on a 390 px phone in Chinese, a monitor raises a query that the coordinator answers and
the monitor closes (issue 10, "Must show"). Playwright with Debian's Chromium."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()



def _fits(page):
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] == PHONE["width"], page.url


def test_monitor_raises_coordinator_answers_on_a_phone(live_server, audit_purge_on_teardown, phone,
                                                       screenshot, make_user, checked_protocol, site):
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.participants.services import screen_child
    from tests.participants.helpers import identity

    child = screen_child(Actor.system("test"), site_code=site.code, identity=identity(dt.date(2017, 5, 6)),
                         screened_on=timezone.localdate())
    make_user("mon1", "monitor")
    make_user("crc1", "coordinator")
    base = live_server.url

    login(phone, base, "mon1")
    phone.goto(f"{base}/quality/")
    assert "质疑" in phone.inner_text("h1")
    phone.click("#raise-query summary")
    phone.fill("#r-subject", child.screening_number)
    phone.fill("#r-visit", "SCR")
    phone.fill("#r-form", "vitals")
    phone.fill("#r-field", "weight_kg")
    phone.fill("#r-text", "体重偏低，请核对原始记录。")
    with phone.expect_navigation():
        phone.click("#raise-form button[type=submit]")
    assert "未解决" in phone.inner_text("#query-status")
    _fits(phone)
    screenshot(phone, "phone-zh-quality-query-raised")
    query_url = phone.url

    login(phone, base, "crc1")
    phone.goto(f"{base}/quality/")
    assert child.screening_number in phone.inner_text("#query-list")
    _fits(phone)
    phone.goto(query_url)
    phone.fill("#answer", "已核对：诊室体重秤记录为18.2公斤，数据正确。")
    with phone.expect_navigation():
        phone.click("#answer-form button[type=submit]")
    assert "已答复" in phone.inner_text("#query-status")
    assert "18.2公斤" in phone.inner_text("#query-answer")
    _fits(phone)
    screenshot(phone, "phone-zh-quality-query-answered")

    login(phone, base, "mon1")
    phone.goto(query_url)
    phone.fill("#close-note", "与原始记录一致。")
    with phone.expect_navigation():
        phone.click("#close-form button[type=submit]")
    assert "已关闭" in phone.inner_text("#query-status")


def test_quality_pages_fit_a_phone(live_server, audit_purge_on_teardown, phone, screenshot,
                                   make_user, checked_protocol, site):
    from django.utils import timezone

    from celltrial.capture.quality import services
    from celltrial.core.actor import Actor
    from celltrial.participants.services import screen_child
    from tests.capture.quality.conftest import act, write_record
    from tests.participants.helpers import identity

    child = screen_child(Actor.system("test"), site_code=site.code, identity=identity(dt.date(2017, 5, 6)),
                         screened_on=timezone.localdate())
    monitor, dm = make_user("mon2", "monitor"), make_user("dm2", "data_manager")
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "120", "weight_kg": "20.0"})  # an edit-check query
    services.mark_sdv(act(monitor, "quality.sdv.mark", site), child, visit="SCR", form="vitals")
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "121", "weight_kg": "20.0"})  # changed since SDV
    services.place_hold(act(dm, "quality.lock.manage", site), services.HoldScope("visit", child, "SCR"),
                        kind="freeze", reason="审核完成，供安全审查委员会使用。")
    base = live_server.url
    for user, pages in (("mon2", [("/quality/", "queries"), (f"/quality/participants/{child.pk}/", "participant"),
                                  ("/quality/missing/", "missing")]),
                        ("dm2", [("/quality/locks/", "locks"), (f"/quality/participants/{child.pk}/", "participant-dm")])):
        login(phone, base, user)
        for path, name in pages:
            response = phone.goto(f"{base}{path}")
            assert response is not None and response.status == 200, path
            _fits(phone)
            assert phone.evaluate("document.documentElement.lang") == "zh-hans"
            screenshot(phone, f"phone-zh-quality-{name}")
    assert "源数据核查后有更改" in phone.inner_text("#form-quality")
    assert "已在访视层级冻结" in phone.inner_text("#form-quality")
