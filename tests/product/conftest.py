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
