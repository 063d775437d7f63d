"""Labs database tests: each test gets its own vault key file (the participants room encrypts identities)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_vault(request, tmp_path):
    if not request.config.pluginmanager.hasplugin("django") or ("db" not in request.fixturenames and \
            "transactional_db" not in request.fixturenames and not request.node.get_closest_marker("django_db")):
        yield
        return
    settings = request.getfixturevalue("settings")
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()
    yield


@pytest.fixture
def lab_people(make_user):
    from tests.conftest import TRIAL_WIDE

    return {"coordinator": make_user("crc_labs", "coordinator"), "investigator": make_user("inv_lab", "investigator"),
            "monitor": make_user("mon_labs", "monitor"), "rater": make_user("rater_labs", "rater"),
            "data_manager": make_user("dm_labs", "data_manager", at=TRIAL_WIDE)}


@pytest.fixture
def child(site):
    from tests.labs.records import dosed_child

    return dosed_child(site)


@pytest.fixture
def ranges(site):
    from tests.labs.records import load_shipped_ranges

    return load_shipped_ranges(site)


@pytest.fixture
def coordinator_actor(lab_people, site):
    from celltrial.accounts import permissions
    from celltrial.labs.permissions import LAB_ENTER

    return permissions.actor_for(lab_people["coordinator"], LAB_ENTER, site.code)


@pytest.fixture(autouse=True)
def _english():
    yield
    try:
        from django.utils import translation

        translation.activate("en")
    except Exception:  # pure tests run without Django settings
        pass
