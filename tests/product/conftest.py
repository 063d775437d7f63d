"""Fixtures of the product room's database tests: a trial-wide QA, site pharmacist and investigator, and a
lot built through the services (eligible donor, 5 % O2 culture, passing QC)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD, TRIAL_WIDE


@pytest.fixture
def product_people(make_user, site):
    return {"qa": make_user("qa_tw", "qa", at=TRIAL_WIDE), "pharmacist": make_user("pharm", "pharmacist"),
            "investigator": make_user("inv", "investigator"), "site_qa": make_user("qa_site", "qa")}


@pytest.fixture
def actors(product_people, site):
    from celltrial.accounts import permissions
    from celltrial.product.permissions import BEDSIDE, CUSTODY_SITE, LOT_RELEASE

    return {"qa": permissions.actor_for(product_people["qa"], LOT_RELEASE, ""),
            "pharmacist": permissions.actor_for(product_people["pharmacist"], CUSTODY_SITE, site.code),
            "investigator": permissions.actor_for(product_people["investigator"], BEDSIDE, site.code)}


@pytest.fixture
def qc_lot(actors):
    """A lot with every lot-test result passing, not yet released."""
    from celltrial.product.demo import eligible_donor, manufactured_lot

    donor = eligible_donor(actors["qa"], assessed=dt.date.today() - dt.timedelta(days=60))
    return manufactured_lot(actors["qa"], donor, start=dt.date.today() - dt.timedelta(days=50))


@pytest.fixture
def released_lot(qc_lot, actors):
    from celltrial.product import services

    services.release_lot(actors["qa"], qc_lot, password=PASSWORD, comment="all met")
    qc_lot.refresh_from_db()
    return qc_lot


@pytest.fixture
def unit_at_site(released_lot, actors, site):
    """A unit of the released lot, shipped to the site and received there."""
    from django.utils import timezone

    from celltrial.product import services

    unit = services.fill_units(actors["qa"], released_lot, count=1, filled_at=timezone.now() - dt.timedelta(hours=2))[0]
    services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="received", occurred_at=timezone.now())
    unit.refresh_from_db()
    return unit


@pytest.fixture(autouse=True)
def _english():
    """A Chinese page request leaves its language active in the test thread; services speak English here."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.activate("en")


@pytest.fixture
def vault(settings, tmp_path):
    """The participants room's identity vault, for tests that screen children."""
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()


def enrol_child(site, *, sequence: int, bl_weight: str | None = "25.0", scr_weight: str = "24.0",
                day0: dt.date | None = None, people: dict | None = None):
    """A consented, eligible child enrolled in the open cohort (DL1) through the participants services, with a
    Screening weight and (unless ``bl_weight`` is None) a Baseline (Day -1) weight dated yesterday."""
    from django.utils import timezone

    from celltrial.participants import services as ps
    from tests.participants import helpers as h

    crc, inv = people["coordinator"], people["investigator"]
    today = timezone.localdate()
    child = h.screen(crc, site, screened_on=today - dt.timedelta(days=5),
                     identity=h.identity(dt.date(2017, 4, 12), sequence=sequence, name=f"测试{sequence}",
                                         phone=f"139{sequence:08d}"))
    h.consent(inv, child, people["docs"], password=PASSWORD)
    values = h.eligible_values(weight=scr_weight)
    values["vitals"]["vs_date"] = (today - dt.timedelta(days=5)).isoformat()
    h.enter(crc, child, values)
    ps.sign_eligibility(h.actor(inv, "participant.eligibility.sign", site), child, password=PASSWORD)
    child = ps.enrol(h.actor(crc, "participant.enrol", site), child, day0=day0 or today)
    if bl_weight is not None:
        vitals = {**values["vitals"], "vs_date": (today - dt.timedelta(days=1)).isoformat(), "weight_kg": bl_weight}
        h.enter(crc, child, {"vitals": vitals}, visit="BL")
    child.refresh_from_db()
    return child


@pytest.fixture
def site_team(make_user, site, vault):
    from tests.participants.helpers import add_documents

    return {"coordinator": make_user("crc", "coordinator", pii=True),
            "investigator": make_user("inv_pi", "investigator", pii=True), "docs": add_documents(site)}


@pytest.fixture
def child(site, site_team):
    """An enrolled child (DL1, 0.5 × 10⁶ cells/kg) weighing 25.0 kg at Baseline (Day -1)."""
    return enrol_child(site, sequence=991, bl_weight="25.0", people=site_team)


@pytest.fixture
def second_child(site, site_team):
    return enrol_child(site, sequence=993, bl_weight="31.0", people=site_team)
