"""Vein to vein at the bedside, on a tablet (1024×768), in Chromium.

QA releases a lot by e-signature; the pharmacist receives the shipped unit, allocates it to an enrolled
child's dose (dose level and Day -1 weight from the child's record, typed by nobody), thaws and prepares it; the nurse (investigator role) scans the unit and a wrong wristband and is refused,
then the right pair, records the administration (which records the child's dosing, Day 0), and the
chain-of-identity page shows every step. The
bedside and chain pages are checked at phone width (390×844) too: never wider than the viewport.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD, TRIAL_WIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WRONG_SUBJECT = "ASD-01-0009-M"  # a well-formed subject ID, but not the one the unit is allocated to



def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def journey_lot(make_user, site):
    from celltrial.core.actor import Actor
    from celltrial.product.demo import eligible_donor, manufactured_lot
    from celltrial.product.services import load_shipped_specifications

    make_user("qa_tw", "qa", at=TRIAL_WIDE)
    make_user("pharmacist", "pharmacist")
    make_user("nurse", "investigator")
    system = Actor.system("test")
    load_shipped_specifications(system)
    donor = eligible_donor(system, assessed=dt.date.today() - dt.timedelta(days=60))
    return manufactured_lot(system, donor, start=dt.date.today() - dt.timedelta(days=50))


@pytest.fixture
def site_team(make_user, site, settings, tmp_path):
    """The coordinator and investigator who screened and enrolled the child (the participants room's services)."""
    from celltrial.participants.vault import ensure_vault_key
    from tests.participants.helpers import add_documents

    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    ensure_vault_key()
    return {"coordinator": make_user("crc", "coordinator", pii=True),
            "investigator": make_user("inv_pi", "investigator", pii=True), "docs": add_documents(site)}


def _phone(browser, base: str, path: str, screenshot, name: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    phone = context.new_page()
    login(phone, base, "nurse")
    phone.goto(f"{base}{path}")
    _fits(phone)
    screenshot(phone, name)
    context.close()


def test_release_receive_thaw_scan_refuse_administer_and_trace(live_server, audit_purge_on_teardown, page, browser,
                                                               screenshot, journey_lot, site, site_team):
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.product import services
    from tests.product.conftest import enrol_child

    base = live_server.url
    lot = journey_lot
    child = enrol_child(site, sequence=991, bl_weight="24.5", people=site_team)  # 24.5 kg at Baseline (Day -1)
    SUBJECT = child.subject_id

    # QA releases the lot: a wrong password is refused, the right one signs it.
    login(page, base, "qa_tw")
    page.goto(f"{base}/product/lots/{lot.lot_id}/")
    assert page.inner_text("#disposition") == "release"
    page.fill("#release-form #id_password", "not-my-password")
    _submit(page, "#release-submit")
    assert "The password is not correct" in page.content()
    page.fill("#release-form #id_password", PASSWORD)
    page.fill("#release-form #id_comment", "All release tests met")
    _submit(page, "#release-submit")
    assert page.inner_text("#lot-status") == "released"
    assert page.locator("#coa-link").count() == 1
    _fits(page)
    screenshot(page, "product-1-qa-released")

    # The manufacturer fills and ships a unit (services), after the release.
    system = Actor.system("test")
    unit = services.fill_units(system, lot, count=2)[0]
    services.ship_units(system, [unit], destination_code=site.code, shipped_at=timezone.now())

    # The pharmacist receives the unit, allocates it to the child's dose, thaws and prepares it.
    login(page, base, "pharmacist")
    page.goto(f"{base}/product/units/{unit.unit_id}/")
    page.select_option("#custody-form #id_event", "received")
    page.fill("#custody-form #id_place", "Pharmacy, cell-therapy room")
    _submit(page, "#custody-submit")
    assert "Custody event recorded." in page.content()
    page.fill("#allocation-form #id_subject_id", SUBJECT)
    _submit(page, "#allocate-submit")
    # DL1 0.5e6 cells/kg × 24.5 kg = 1.225e7 viable cells ÷ 5e6 cells/mL = 2.45 mL.
    assert SUBJECT in page.inner_text("#allocation") and "2.45" in page.inner_text("#dose")
    assert "24.5 kg" in page.inner_text("#dose") and "BL" in page.inner_text("#dose")
    for event, place in (("thawed", "37 °C water bath"), ("prepared", "Biosafety cabinet")):
        page.select_option("#custody-form #id_event", event)
        page.fill("#custody-form #id_place", place)
        _submit(page, "#custody-submit")
    ledger = page.inner_text("#ledger").lower()
    assert all(e in ledger for e in ("stored", "shipped", "received", "thawed", "prepared"))
    _fits(page)
    screenshot(page, "product-2-pharmacist-prepared")

    # The nurse scans the unit and the wrong wristband: refused, with the reason.
    login(page, base, "nurse")
    page.goto(f"{base}/product/bedside/")
    page.fill("#id_scanned_unit", unit.unit_id)
    page.fill("#id_scanned_subject", WRONG_SUBJECT)
    _submit(page, "#bedside-submit")
    assert "REFUSED" in page.inner_text("#verdict")
    assert "allocated to another participant" in page.inner_text("#reasons")
    assert page.locator("#administration-form").count() == 0
    _fits(page)
    screenshot(page, "product-3-bedside-refused")

    # The right pair matches; the administration is recorded.
    page.goto(f"{base}/product/bedside/")
    page.fill("#id_scanned_unit", unit.unit_id)
    page.fill("#id_scanned_subject", SUBJECT)
    _submit(page, "#bedside-submit")
    assert "MATCH" in page.inner_text("#verdict")
    check_path = page.url.removeprefix(base)
    page.fill("#administration-form #id_rate_ml_per_min", "1.0")
    page.fill("#administration-form #id_volume_ml", "2.45")
    screenshot(page, "product-4-bedside-match")
    _submit(page, "#administer-submit")

    # The chain of identity shows every step, donor to administration.
    assert "/chain/" in page.url
    chain = page.inner_text("#chain")
    donor = lot.batch.collection.donor.donor_id
    for text in (donor, lot.batch.code, lot.lot_id, unit.unit_id, SUBJECT, "2.45"):
        assert text in chain, text
    custody = page.inner_text("#step-custody").lower()
    assert all(e in custody for e in ("stored", "shipped", "received", "thawed", "prepared", "administered"))
    assert "refused" in page.inner_text("#step-participant") and "match" in page.inner_text("#step-participant")
    assert "released" in page.inner_text("#step-release")
    assert page.inner_text("#step-administration").count("mL") >= 2
    _fits(page)
    screenshot(page, "product-5-chain-of-identity")

    # On a phone, the bedside check and the chain stay within the screen.
    _phone(browser, base, check_path, screenshot, "product-6-phone-bedside")
    _phone(browser, base, f"/product/units/{unit.unit_id}/chain/", screenshot, "product-7-phone-chain")
    _phone(browser, base, f"/product/units/{unit.unit_id}/", screenshot, "product-8-phone-unit")
    child.refresh_from_db()
    site_today = timezone.now().astimezone(zoneinfo.ZoneInfo(child.site.timezone)).date()
    assert child.dosed_on == site_today and child.day0 == child.dosed_on  # Day 0 is the infusion, a site date
    _phone(browser, base, f"/product/lots/{lot.lot_id}/", screenshot, "product-9-phone-lot")
