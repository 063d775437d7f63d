"""Capture tests: an enrolled, consented child of the default protocol, its own data directory and vault key."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import PASSWORD


@pytest.fixture(autouse=True)
def _own_data(settings, tmp_path, request):
    if "db" not in request.fixturenames and "site" not in request.fixturenames \
            and "enrolled" not in request.fixturenames:
        yield
        return
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from django.core.cache import cache

    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()
    cache.clear()
    yield


@pytest.fixture
def team(make_user):
    return {
        "investigator": make_user("inv", "investigator", pii=True),
        "coordinator": make_user("crc", "coordinator", pii=True),
        "rater": make_user("rater1", "rater"),
        "monitor": make_user("mon", "monitor"),
    }


@pytest.fixture
def enrolled(team, site):
    """A consented, eligible child enrolled with Day 0 in a week."""
    from django.utils import timezone

    from celltrial.participants import services
    from tests.participants import helpers as h

    docs = h.add_documents(site)
    child = h.screen(team["coordinator"], site, screened_on=timezone.localdate() - dt.timedelta(days=3))
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    h.enter(team["coordinator"], child, h.eligible_values())
    services.sign_eligibility(h.actor(team["investigator"], "participant.eligibility.sign", site), child,
                              password=PASSWORD)
    return services.enrol(h.actor(team["coordinator"], "participant.enrol", site), child,
                          day0=timezone.localdate() + dt.timedelta(days=7))


@pytest.fixture
def crc(team, site):
    from celltrial.accounts import permissions

    return permissions.actor_for(team["coordinator"], "capture.form.enter", site.code)
