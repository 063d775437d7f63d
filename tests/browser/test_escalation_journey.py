"""The SRC meeting and the next cohort, in Chromium (issue 12, "Must show").

Cohort 1 (three children, no DLT, windows closed, adjudicated) awaits its decision. The SRC chair opens the
board, freezes the packet, sees the 3+3's recommendation ("escalate": 0/3 at DL1) and signs "escalate" with
the password; cohort 2 opens at DL2. The investigator then doses the first cohort-2 child (the sentinel)
and is refused dosing the second the same day, with the day it becomes allowed (sentinel + 14 days).
Board and packet are checked at phone width (390 px) too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.fixtures import login
from tests.conftest import PASSWORD, TRIAL_WIDE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



def _fits(page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the viewport"


@pytest.fixture
def awaiting_cohort_1(make_user, site, settings, tmp_path, monkeypatch):
    from celltrial.escalation import services
    from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
    from celltrial.participants.vault import ensure_vault_key
    from celltrial.safety import interface as safety_if
    from tests.escalation.room.helpers import Clock, Trial
    from tests.participants.helpers import add_documents

    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    ensure_vault_key()
    adjudicated: dict[str, str] = {}
    monkeypatch.setattr(safety_if, "dlt_status", lambda p: safety_if.DltStatus(
        adjudicated.get(p.subject_id, "pending"), confirmed=p.subject_id in adjudicated))
    chair = make_user("chair", "src_member", at=TRIAL_WIDE)
    trial = Trial(make_user, site, add_documents(site, valid_from=dt.date(2020, 1, 1)))
    clock = Clock(monkeypatch)
    people = [trial.enrol() for _ in range(3)]
    trial.dose(people[0], clock.today())
    clock.forward(14)
    adjudicated[people[0].subject_id] = "no_dlt"
    packet = services.freeze_packet(trial.actor(chair, PACKET_FREEZE), kind="sentinel")
    decision = services.propose_decision(trial.actor(chair, DECISION_SIGN), packet, choice="proceed")
    services.sign_decision(trial.actor(chair, DECISION_SIGN), decision, password=PASSWORD)
    trial.dose(people[1], clock.today())
    clock.forward(7)
    trial.dose(people[2], clock.today())
    clock.forward(29)
    adjudicated.update({p.subject_id: "no_dlt" for p in people})
    return trial, clock


def test_src_signs_escalate_then_cohort_2_doses_its_sentinel_and_refuses_the_second(
        live_server, audit_purge_on_teardown, page, browser, awaiting_cohort_1, screenshot):
    trial, clock = awaiting_cohort_1
    base = live_server.url
    login(page, base, "chair")
    page.goto(f"{base}/escalation/")
    assert page.get_attribute("#cohort-state", "class").split()[-1] == "awaiting_decision"
    page.select_option("#id_kind", "cohort")
    with page.expect_navigation():
        page.click("#freeze-submit")
    assert "/escalation/packets/" in page.url
    packet_path = page.url.removeprefix(base)
    assert page.get_attribute("#packet-recommendation", "data-choice") == "escalate"
    assert "DL2" in page.inner_text("#packet-recommendation")
    assert page.is_visible("#unchanged-since")
    assert page.input_value("#id_choice") == "escalate"
    with page.expect_navigation():
        page.click("#decision-submit")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("#sign-submit")
    assert "in effect" in page.inner_text("#decision-status")
    assert page.is_visible("#unchanged-since")
    screenshot(page, "escalation-packet-signed")
    page.goto(f"{base}/escalation/")
    assert "Cohort 2" in page.inner_text("#current-cohort")
    assert page.get_attribute("#cohort-state", "class").split()[-1] == "open"

    today = clock.today()
    sentinel, second = trial.enrol(day0=today), trial.enrol(day0=today)
    assert (sentinel.cohort, second.cohort) == (2, 2)
    login(page, base, "inv")
    for child in (sentinel, second):
        page.goto(f"{base}/participants/{child.pk}/")
        page.click("text=Record dosing >> nth=0")
        page.fill("#id_dosed-dosed_on", today.isoformat())
        with page.expect_navigation():
            page.click("#dosed-form button[type=submit]")
    allowed = (today + dt.timedelta(days=14)).isoformat()
    body = page.inner_text("body")
    assert "refused" in body and allowed in body, body[:2000]
    second.refresh_from_db()
    sentinel.refresh_from_db()
    assert sentinel.dosed_on == today and second.dosed_on is None
    screenshot(page, "escalation-second-dosing-refused")

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")
    phone = context.new_page()
    login(phone, base, "chair")
    for path in ("/escalation/", packet_path, "/escalation/recommendation/", "/escalation/history/"):
        phone.goto(f"{base}{path}")
        _fits(phone)
    screenshot(phone, "escalation-board-phone")
    context.close()
