"""A trial to escalate in: enrolled and dosed children built through the participants room's services, and
the DLT status of each child set by the test (the safety room's published status, monkeypatched)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import TRIAL_WIDE
from tests.escalation.room.helpers import Clock, Trial


@pytest.fixture(autouse=True)
def _own_vault(settings, tmp_path):
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()


@pytest.fixture
def dlts(monkeypatch):
    """``dlts[subject_id] = "dlt" | "no_dlt" | "not_evaluable"``; anyone else is ``pending``."""
    from celltrial.safety import interface as safety_if

    table: dict[str, str] = {}

    def status(participant):
        return safety_if.DltStatus(table.get(participant.subject_id, "pending"), confirmed=participant.subject_id in table)

    monkeypatch.setattr(safety_if, "dlt_status", status)
    return table


@pytest.fixture
def src(make_user):
    return [make_user(f"src{i}", "src_member", at=TRIAL_WIDE) for i in range(1, 4)]


@pytest.fixture
def docs(site):
    from tests.participants.helpers import add_documents

    return add_documents(site, valid_from=dt.date(2020, 1, 1))


@pytest.fixture
def trial(make_user, site, docs):
    return Trial(make_user, site, docs)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


@pytest.fixture
def amend(protocol):
    """Load a protocol amendment with these top-level sections replaced."""
    def load(**sections):
        from celltrial.core.actor import Actor
        from celltrial.study.interface import protocol_in_force
        from celltrial.study.protocol.schema import Protocol
        from celltrial.study.services import store_protocol

        data = protocol_in_force().model_dump(mode="json", exclude_none=True)
        data.update(sections)
        return store_protocol(Actor.system("test"), Protocol.model_validate(data), reason="test amendment")

    return load


@pytest.fixture
def quorum(amend):
    """Load an amendment whose ``src: quorum:`` is ``n``."""
    return lambda n: amend(src={"quorum": n})
