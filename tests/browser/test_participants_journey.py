"""A child from pre-screening to a visit calendar, in Chinese, then a stale eligibility decision (issue #8).

The coordinator logs the referral (no personal data), screens the child into the identity vault, records
the guardian's consent and the child's pictorial assent with a witness (consent comes before any
screening procedure, so before the data: entry is refused until then), and enters the screening forms;
the investigator reads each criterion with its values and signs the decision; the coordinator enrols the
child into cohort 1 and the calendar appears. Then a second child's signed decision goes stale when a
value it used changes, and enrolment is refused until the investigator signs again. Pages are checked
at 390 × 844 too. Screenshots: var/screenshots/participants-zh-*.png.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIT = "() => [document.documentElement.scrollWidth, window.innerWidth]"


@pytest.fixture
def chinese(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    yield page
    context.close()



def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _open(page, details: str) -> None:
    """Open a folded action (a <details>) the way a person does: tap its summary if it is closed."""
    if not page.locator(details).evaluate("el => el.open"):
        page.click(f"{details} > summary")


def _fill_form(page, form: str, values: dict) -> None:
    for name, value in values.items():
        locator = page.locator(f"#id_{form}-{name}")
        if locator.evaluate("el => el.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)
    _submit(page, f"#save-{form}")


def test_a_child_from_pre_screening_to_a_visit_calendar_in_chinese(
        live_server, audit_purge_on_teardown, chinese, phone, screenshot, make_user, site):
    base = live_server.url
    make_user("crc", "coordinator", pii=True)
    make_user("inv", "investigator", pii=True)
    h.add_documents(site)
    page = chinese

    # Pre-screening: a log line without personal data.
    login(page, base, "crc")
    page.goto(f"{base}/participants/prescreening/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.inner_text("h1") == "预筛选登记"
    page.select_option("#id_referral_source", "outpatient")
    page.select_option("#id_age_band", "6_11")
    page.select_option("#id_outcome", "invited")
    _submit(page, "#prescreening-form button[type=submit]")
    assert "本院门诊" in page.inner_text("#prescreening")
    screenshot(page, "participants-zh-prescreening")

    # Screening: the identity goes into the vault; the attempt gets a screening number.
    page.goto(f"{base}/participants/screen/")
    identity = h.identity(dt.date(2017, 3, 15), name="李小龙", sequence=993)
    for name in ("full_name", "id_number", "address", "guardian1_name", "guardian1_relationship", "guardian1_phone"):
        page.fill(f"#id_{name}", identity[name])
    page.fill("#id_date_of_birth", identity["date_of_birth"])
    page.select_option("#id_sex", "1")
    page.select_option("#id_prescreening", index=1)
    _submit(page, "#screen-submit")
    number = page.inner_text("#participant-label")
    assert number.startswith("ASD-01-S0001-") and page.inner_text("#participant-status") == "筛选中"
    assert "李小龙" in page.inner_text("#identity-name")

    # Entry is refused until valid consent exists.
    detail = page.url
    page.click("#screening-link")
    page.wait_for_selector("#entry-refusal")
    assert "获得有效的知情同意之前不能录入数据" in page.inner_text("#entry-refusal")
    page.goto(detail)

    # Guardian consent (e-signed by the coordinator who obtained it), then the child's pictorial assent.
    _open(page, "#consent-action")
    page.select_option("#id_consent-kind", "guardian")
    page.select_option("#id_consent-guardian_slot", "1")
    page.select_option("#id_consent-document", label=next(
        o for o in page.locator("#id_consent-document option").all_text_contents() if "监护人" in o))
    page.select_option("#id_consent-method", "written")
    page.fill("#id_consent-password", PASSWORD)
    _submit(page, "#consent-submit")
    _open(page, "#consent-action")
    page.select_option("#id_consent-kind", "assent")
    page.select_option("#id_consent-document", label=next(
        o for o in page.locator("#id_consent-document option").all_text_contents() if "患儿" in o))
    page.select_option("#id_consent-method", "pictorial")
    page.fill("#id_consent-witness_name", "何静（社工）")
    page.fill("#id_consent-password", PASSWORD)
    _submit(page, "#consent-submit")
    assert "有效" in page.inner_text("#consent-valid")
    assert "患儿已同意" in page.inner_text("#assent-state")
    assert page.locator("#consent-records tbody tr").count() == 2
    screenshot(page, "participants-zh-consent")

    # The screening forms, typed in.
    page.click("#screening-link")
    page.wait_for_selector("#form-vitals")
    for form, values in h.eligible_values().items():
        _fill_form(page, form, values)
    assert page.locator("#criteria tr[data-outcome=not_evaluable]").count() == 0
    screenshot(page, "participants-zh-screening-data")

    # The investigator reads each criterion with its values and signs.
    login(page, base, "inv")
    page.goto(f"{base}/participants/")
    page.click(f"text={number}")
    page.click("#screening-link")
    page.wait_for_selector("#criteria")
    assert page.inner_text("#evaluation") == "符合入组条件"
    assert "体重 = 25.0" in page.inner_text("#criterion-I02")
    assert "符合" in page.inner_text("#criterion-I01")
    page.fill("#eligibility-sign-form #id_password", PASSWORD)
    _submit(page, "#eligibility-sign")
    assert "批准" in page.inner_text("#decisions")
    screenshot(page, "participants-zh-eligibility-signed")

    # The coordinator enrols the child into cohort 1: a subject ID and a visit calendar.
    login(page, base, "crc")
    page.goto(f"{base}/participants/")
    page.click(f"text={number}")
    day0 = dt.date.today() + dt.timedelta(days=10)
    page.fill("#id_enrol-day0", day0.isoformat())
    _submit(page, "#enrol-submit")
    assert page.inner_text("#participant-status") == "入组"
    assert page.inner_text("#subject-id").startswith("ASD-01-0001-")
    assert "队列1" in page.inner_text("#cohort")
    assert page.locator("#visits tbody tr").count() == 13
    assert (day0 + dt.timedelta(days=7)).isoformat() in page.inner_text("#visit-D7")
    screenshot(page, "participants-zh-enrolled-calendar")

    # On a phone the same pages fit the screen: the calendar scrolls inside its card.
    login(phone, base, "crc")
    for path in ("/participants/", f"/participants/{_pk(page)}/", f"/participants/{_pk(page)}/screening/",
                 "/participants/funnel/", "/participants/visits-due/"):
        phone.goto(f"{base}{path}")
        width, viewport = phone.evaluate(FIT)
        assert width <= viewport, f"{path} is {width}px wide on a {viewport}px phone"
    phone.goto(f"{base}/participants/{_pk(page)}/")
    screenshot(phone, "participants-zh-phone-detail")


def _pk(page) -> str:
    return page.url.rstrip("/").split("/")[-1]


def test_a_changed_value_makes_the_signed_decision_stale(live_server, audit_purge_on_teardown, chinese, screenshot,
                                                          make_user, site):
    from celltrial.participants import services
    from celltrial.participants.permissions import ELIGIBILITY_SIGN

    base = live_server.url
    crc = make_user("crc", "coordinator", pii=True)
    inv = make_user("inv", "investigator", pii=True)
    docs = h.add_documents(site)
    child = h.screen(crc, site, dob=dt.date(2016, 8, 8), name="王小雨", sex="2", sequence=994)
    h.consent(inv, child, docs, password=PASSWORD)
    values = h.eligible_values()
    values["demographics"] = {"sex": "2", "ethnicity": "1", "menarche": "0"}
    h.enter(crc, child, values)
    services.sign_eligibility(h.actor(inv, ELIGIBILITY_SIGN, site), child, password=PASSWORD)

    page = chinese
    login(page, base, "crc")
    page.goto(f"{base}/participants/{child.pk}/screening/")
    page.fill("#id_vitals-weight_kg", "16.5")
    page.fill("#id_vitals-reason", "重新称重（脱鞋）")
    _submit(page, "#save-vitals")
    stale = page.inner_text("#stale-decision")
    assert "已过期" in stale and "[scr][weight_kg]" in stale and "25.0 → 16.5" in stale
    assert page.inner_text("#evaluation") == "不符合入组条件"
    screenshot(page, "participants-zh-stale-decision")
    page.goto(f"{base}/participants/{child.pk}/")
    assert "已过期" in page.inner_text("#stale-badge")
    assert "研究者须重新签署" in page.inner_text("#enrolment-refusal")
    assert page.locator("#enrol-form").count() == 0
    screenshot(page, "participants-zh-stale-enrolment-refused")
