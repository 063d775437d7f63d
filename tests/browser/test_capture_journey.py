"""Visit forms in Chromium: a coordinator opens the Baseline visit, fills vital signs whose branching shows and
hides a field live, types a weight with too many decimals and sees the refusal beside the field with what she
typed kept, then completes the form; a rater completes the ABC and sees it scored; the coordinator makes a
one-time link, and the guardian fills the Day 28 ABC on a 390 px phone, in Chinese, with no account; the
coordinator sees it arrive."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


@pytest.fixture
def child(make_user, site, settings, tmp_path):
    from django.utils import timezone

    from celltrial.participants import services
    from celltrial.participants.vault import ensure_vault_key
    from tests.participants import helpers as h

    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    ensure_vault_key()
    investigator = make_user("inv", "investigator", pii=True)
    coordinator = make_user("crc", "coordinator", pii=True)
    make_user("rater1", "rater")
    docs = h.add_documents(site)
    child = h.screen(coordinator, site, screened_on=timezone.localdate() - dt.timedelta(days=3))
    h.consent(investigator, child, docs, password=PASSWORD)
    h.enter(coordinator, child, h.eligible_values())
    services.sign_eligibility(h.actor(investigator, "participant.eligibility.sign", site), child, password=PASSWORD)
    return services.enrol(h.actor(coordinator, "participant.enrol", site), child,
                          day0=timezone.localdate() + dt.timedelta(days=7))


def test_enter_vitals_with_branching_score_the_abc_and_the_guardian_fills_on_a_phone(
        live_server, audit_purge_on_teardown, page, browser, child, screenshot):
    base = live_server.url
    login(page, base, "crc")
    page.goto(f"{base}/capture/p/{child.pk}/")
    with page.expect_navigation():
        page.click("#grid-BL-vitals a")
    # Branching, live: "describe the abnormality" shows only when an abnormality is ticked.
    description = page.locator("#field-vs_abn_desc")
    assert description.is_hidden()
    page.check('input[name="vs_abnormal"][value="1"]')
    description.wait_for(state="visible")
    page.fill("#id_vs_abn_desc", "mild tachycardia")
    page.check('input[name="vs_abnormal"][value="0"]')
    description.wait_for(state="hidden")
    # A weight with two decimals: refused beside the field, and nothing typed is lost.
    page.fill("#id_vs_date", dt.date.today().isoformat())
    for name, value in {"weight_kg": "24.55", "height_cm": "120.0", "temp_c": "36.6", "hr": "90", "rr": "20",
                        "sbp": "100", "dbp": "65"}.items():
        page.fill(f"#id_{name}", value)
    page.locator('[data-calc="bmi"]').filter(has_text="17").wait_for()  # calc, live: 24.55 / 1.2² = 17.0
    with page.expect_navigation():
        page.click("#save-complete")
    assert "Body weight: at most 1 decimal places." in page.content()
    assert page.input_value("#id_weight_kg") == "24.55" and page.input_value("#id_hr") == "90"
    page.fill("#id_weight_kg", "24.5")
    with page.expect_navigation():
        page.click("#save-complete")
    assert "Complete" in page.inner_text("#record-state")

    login(page, base, "rater1")
    page.goto(f"{base}/capture/p/{child.pk}/BL/abc/1/")
    for n in range(1, 59):
        page.check(f'input[name="abc_{n:02d}"][value="2"]')
    with page.expect_navigation():
        page.click("#save-complete")
    assert page.inner_text("#score-total") == "116"  # 58 items × 2
    assert page.inner_text('[data-subscale="irritability"]') == "30"  # 15 items × 2

    login(page, base, "crc")
    page.goto(f"{base}/capture/p/{child.pk}/")
    with page.expect_navigation():
        page.click("#link-D28-abc")
    link = page.input_value("#guardian-link-url")
    assert "/capture/q/" in link

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN").new_page()
    phone.goto(link)
    assert "异常行为量表" in phone.content() and phone.locator("html").get_attribute("lang") == "zh-hans"
    _fits(phone)
    for n in range(1, 30):
        phone.check(f'input[name="abc_{n:02d}"][value="1"]')
    with phone.expect_navigation():
        phone.click("#guardian-save")  # half way: kept
    assert phone.locator('input[name="abc_29"][value="1"]').is_checked()
    for n in range(30, 59):
        phone.check(f'input[name="abc_{n:02d}"][value="1"]')
    screenshot(phone, "capture-guardian-phone")
    with phone.expect_navigation():
        phone.click("#guardian-submit")
    assert phone.inner_text("#guardian-done") == "谢谢"
    phone.context.close()

    page.reload()
    assert "guardian submitted" in page.inner_text("#grid-D28-abc")
    assert "58" in page.inner_text("#grid-D28-abc")  # the guardian's ABC was scored: 58 × 1
