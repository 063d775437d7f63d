"""Fixtures of the safety room's database tests: the site team and the medical monitor, a dosed child, an RSI,
and a fake lab series (the labs room's ``LabPoint``) passed in through the labs interface."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, TRIAL_WIDE


@pytest.fixture(autouse=True)
def _own_vault(settings, tmp_path):
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def people(make_user):
    return {
        "investigator": make_user("inv", "investigator", pii=True),
        "coordinator": make_user("crc", "coordinator", pii=True),
        "pharmacist": make_user("ph", "pharmacist"),
        "mm": make_user("mm", "medical_monitor", at=TRIAL_WIDE),
        "monitor": make_user("cra", "monitor"),
    }


def actor(user, permission, site_code=""):
    from celltrial.accounts import permissions

    return permissions.actor_for(user, permission, site_code)


def make_dosed(people, site, *, days_ago: int = 10):
    """A child screened, consented, eligible, enrolled and dosed ``days_ago`` days ago, through the services."""
    from celltrial.participants import services
    from celltrial.participants.permissions import DOSING_RECORD, ENROL
    from tests.participants import helpers as h

    docs = h.add_documents(site)
    today = timezone.localdate()
    child = h.screen(people["coordinator"], site, screened_on=today - dt.timedelta(days=days_ago + 5))
    h.consent(people["investigator"], child, docs, password=PASSWORD,
              obtained_at=timezone.now() - dt.timedelta(days=days_ago + 5))
    h.enter(people["coordinator"], child, h.eligible_values())
    services.sign_eligibility(h.actor(people["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    subject = services.enrol(h.actor(people["coordinator"], ENROL, site), child,
                             day0=today - dt.timedelta(days=days_ago))
    return services.record_dosing(h.actor(people["pharmacist"], DOSING_RECORD, site), subject,
                                  dosed_on=today - dt.timedelta(days=days_ago))


@pytest.fixture
def dosed(people, site):
    return make_dosed(people, site)


@pytest.fixture
def rsi(people):
    """RSI v1 (IB 1.0): fever and infusion reactions up to grade 2 are expected; ALT increase is not listed."""
    from celltrial.safety import services
    from celltrial.safety.permissions import RSI_MANAGE

    return services.add_rsi_version(actor(people["mm"], RSI_MANAGE), version="1.0",
                                    effective_from=dt.date(2024, 1, 1), document="IB v1.0 §7",
                                    expected={"fever": 2, "infusion_related_reaction": 2})


class FakeLabs:
    """Stands in for the labs room: the series it is given, as ``LabPoint`` records."""

    def __init__(self):
        self.points = []

    def add(self, participant, analyte, collected_at, value, grade, *, unit="U/L", term="alt"):
        from celltrial.labs.interface import LabPoint

        self.points.append(LabPoint(participant.pk, str(participant.subject_id), analyte, analyte, collected_at,
                                    float(value), unit, "H" if grade else "", grade, term, "5.0", "UNS"))

    def lab_series(self, participant, analyte):
        return sorted((p for p in self.points if p.participant_id == participant.pk and p.analyte == analyte),
                      key=lambda p: p.collected_at)

    def abnormal_labs(self, participants):
        ids = {p.pk for p in participants}
        return [p for p in self.points if p.participant_id in ids and (p.flag or p.grade)]


@pytest.fixture
def fake_labs(monkeypatch):
    fake = FakeLabs()
    monkeypatch.setattr("celltrial.safety.services.labs.lab_series", fake.lab_series)
    monkeypatch.setattr("celltrial.safety.services.labs.abnormal_labs", fake.abnormal_labs)
    return fake
