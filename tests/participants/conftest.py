"""Each participants test gets its own vault key file and data directory (key rotation changes them)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_vault(settings, tmp_path):
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()


@pytest.fixture
def team(make_user):
    """An investigator and a coordinator with the PII grant at the first site, and a rater without it."""
    return {
        "investigator": make_user("inv", "investigator", pii=True),
        "coordinator": make_user("crc", "coordinator", pii=True),
        "rater": make_user("rater1", "rater"),
    }


@pytest.fixture
def docs(site):
    from tests.participants.helpers import add_documents

    return add_documents(site)
