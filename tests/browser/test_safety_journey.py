"""The safety journey, in Chromium: a coordinator enters a grade 3 ALT and the AE form suggests grade 3 from the
labs room's series (ALT 245 U/L, ULN 40 U/L: > 5.0 × ULN is CTCAE v5.0 grade 3); the investigator confirms the
grade and marks it serious and possibly related; the dashboard shows the 24-hour site → sponsor clock and the
15-day SUSAR clock (ICH E2A §III.B.2; ALT increase is not in the RSI); the medical monitor records the SUSAR
submission and that clock turns green. The dashboard and the AE form fit a 390 px phone.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login
from tests.conftest import TRIAL_WIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


@pytest.fixture
def journey(make_user, site, settings, tmp_path):
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.labs import services as labs
    from celltrial.labs.demo import RANGES_FILE
    from celltrial.participants.vault import ensure_vault_key
    from celltrial.safety import services
    from tests.safety.db.conftest import make_dosed

    ensure_vault_key()
    people = {"investigator": make_user("inv", "investigator", pii=True),
              "coordinator": make_user("crc", "coordinator", pii=True),
              "pharmacist": make_user("ph", "pharmacist"), "mm": make_user("mm", "medical_monitor", at=TRIAL_WIDE)}
    child = make_dosed(people, site, days_ago=6)
    system = Actor.system("test")
    services.add_rsi_version(system, version="1.0", effective_from=dt.date(2024, 1, 1), document="IB v1.0 §7",
                             expected={"fever": 2, "infusion_related_reaction": 2})
    labs.load_reference_ranges(system, site_code=site.code, content=RANGES_FILE.read_bytes(), name=RANGES_FILE.name)
    collected = timezone.now() - dt.timedelta(days=1)
    labs.enter_panel(system, child, visit="D7", collected_at=collected, values={"ALT": ("245", "U/L")})
    return child, collected.date()


def test_grade_3_alt_serious_related_clocks_then_green(live_server, audit_purge_on_teardown, page, browser,
                                                        screenshot, journey):
    from celltrial.safety.models import AdverseEvent, Obligation

    child, onset = journey
    base = live_server.url

    # The coordinator enters the AE: choosing the CTCAE term shows the suggestion from the lab series.
    login(page, base, "crc")
    page.goto(f"{base}/safety/participants/{child.pk}/")
    _submit(page, "#new-ae")
    page.fill("#id_verbatim", "ALT raised")
    page.fill("#id_onset", onset.isoformat())
    page.select_option("#id_ctcae_term", "alt")
    page.wait_for_selector('#suggestion[data-grade="3"]')
    assert "Suggested grade: 3" in page.inner_text("#suggestion")
    page.select_option("#id_grade", "3")
    screenshot(page, "safety-ae-form")
    _submit(page, "#ae-form button[type=submit]")
    ae = AdverseEvent.objects.get(participant=child)
    assert "not yet confirmed" in page.inner_text("#ae-grade")

    # The investigator confirms grade 3 and marks it serious (important medical event) and possibly related.
    login(page, base, "inv")
    page.goto(f"{base}/safety/aes/{ae.pk}/")
    page.select_option("#assess-form #id_grade", "3")
    page.check("#assess-form input[name=seriousness][value=important-medical-event]")
    page.select_option("#assess-form #id_causality_investigator", "possibly")
    page.fill("#assess-form #id_reason", "labs reviewed; hepatitis work-up started")
    _submit(page, "#assess-form button[type=submit]")
    assert "confirmed by the investigator" in page.inner_text("#ae-grade")

    # The dashboard shows both clocks, open, with the time left.
    page.goto(f"{base}/safety/")
    notice = Obligation.objects.get(ae=ae, kind="site_notice")
    fifteen = Obligation.objects.get(ae=ae, kind="susar_15")
    assert "left" in page.inner_text(f"#obligation-{notice.pk}") and "left" in page.inner_text(f"#obligation-{fifteen.pk}")
    assert "24 h" in page.inner_text(f"#obligation-{notice.pk}") or "24 h" in page.inner_text("#obligations")
    assert page.get_attribute(f"#obligation-{fifteen.pk}", "class") == "clock open"

    # The medical monitor records the SUSAR submission: that clock turns green.
    login(page, base, "mm")
    page.goto(f"{base}/safety/aes/{ae.pk}/")
    form = "form.submission-form[data-kind=susar_15]"
    page.fill(f"{form} input[name=recipient]", "CDE / ethics committee")
    page.fill(f"{form} input[name=reference]", "CDE-SUSAR-2026-001")
    _submit(page, f"{form} button[type=submit]")
    page.goto(f"{base}/safety/")
    assert page.get_attribute(f"#obligation-{fifteen.pk}", "class") == "clock ok"
    assert "CDE-SUSAR-2026-001" in page.inner_text(f"#obligation-{fifteen.pk}")
    colour = page.evaluate(f"() => getComputedStyle(document.querySelector('#obligation-{fifteen.pk}')).backgroundColor")
    assert colour == "rgb(231, 246, 238)"  # green
    screenshot(page, "safety-dashboard")

    # On a phone.
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    phone = context.new_page()
    login(phone, base, "mm")
    for path in ("/safety/", f"/safety/aes/{ae.pk}/"):
        phone.goto(f"{base}{path}")
        _fits(phone)
    screenshot(phone, "safety-dashboard-phone")
    context.close()
