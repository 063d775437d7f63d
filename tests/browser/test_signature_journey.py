"""Sponsor QA signs a site's activation; a later edit voids the signature, visibly (21 CFR 11.70).

Journey: QA re-enters the password to sign (a wrong password is refused and nothing is signed),
the administrator changes the principal investigator, and the auditor sees the signature struck
through as VOID and both the signing and the voiding in the audit trail.
"""

from __future__ import annotations

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def test_signature_is_voided_by_a_later_change(live_server, audit_purge_on_teardown, page, screenshot, users, site):
    base = live_server.url
    login(page, base, "qa")
    page.goto(f"{base}/sites/{site.code}/")
    assert "Not signed." in page.inner_text("#signatures")

    page.select_option("#id_meaning", "approved")
    page.fill("#id_password", "not-my-password")
    with page.expect_navigation():
        page.click("form[action$='/sign/'] button[type=submit]")
    assert "The password is not correct" in page.content()
    assert "Not signed." in page.inner_text("#signatures")

    page.fill("#id_password", PASSWORD)
    page.fill("#id_comment", "Site initiation visit completed")
    with page.expect_navigation():
        page.click("form[action$='/sign/'] button[type=submit]")
    assert "valid" in page.inner_text("#signatures")

    login(page, base, "admin")
    page.goto(f"{base}/sites/{site.code}/")
    assert "voids the valid signature" in page.inner_text("#edit-voids-note")
    page.fill("#id_principal_investigator", "Prof. Replacement")
    page.fill("#id_reason", "PI changed per delegation log")
    with page.expect_navigation():
        page.click("form[action$='/edit/'] button[type=submit]")
    # Before anything is saved, the page says what will change and which signature it voids.
    preview = page.inner_text("#edit-preview")
    assert "Prof. Replacement" in preview and "Qa Tester" in preview
    assert page.inner_text("#site-pi") != "Prof. Replacement"
    with page.expect_navigation():
        page.click("#confirm-save")
    assert page.inner_text("#site-pi") == "Prof. Replacement"
    assert "now void" in page.content()

    login(page, base, "auditor")
    page.goto(f"{base}/sites/{site.code}/")
    row = page.locator("#signatures tbody tr").first
    assert "VOID" in row.inner_text()
    assert "line-through" in row.evaluate("el => getComputedStyle(el).textDecorationLine")
    screenshot(page, "signature-void")
    page.goto(f"{base}/audit/?object_type=study.site")
    trail = page.inner_text("#audit-results")
    assert "sign" in trail and "void signature" in trail and "PI changed per delegation log" in trail
