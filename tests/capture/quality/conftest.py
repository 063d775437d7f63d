"""Data-quality fixtures: the default protocol with two edit checks in force, a screened child, form
records written through the audit's own writer (so these tests do not depend on the form engine's
pages), and the team: data manager, monitor, coordinator, investigator at the first site."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

# A check within one form and one across visits; published rule for neither: they are the protocol's own
# plausibility rules, and the tests assert the workflow they drive.
CHECKS = [
    {"id": "EC_BP", "message": {"en": "Diastolic pressure is not below systolic.", "zh": "舒张压不低于收缩压。"},
     "forms": ["vitals"], "field": "dbp", "logic": "[dbp] <> '' and [sbp] <> '' and [dbp] >= [sbp]"},
    {"id": "EC_WEIGHT_DROP", "message": {"en": "Weight fell by more than 10% since baseline.",
                                         "zh": "体重较基线下降超过10%。"},
     "forms": ["vitals"], "visits": ["D7", "D14", "D28"], "field": "weight_kg",
     "logic": "[weight_kg] <> '' and [bl][weight_kg] <> '' and [weight_kg] < 0.9 * [bl][weight_kg]"},
]


@pytest.fixture(autouse=True)
def _own_vault(settings, tmp_path):
    settings.CELLTRIAL_VAULT_KEY_FILE = str(tmp_path / "vault.keys")
    settings.CELLTRIAL_DATA_DIR = tmp_path
    from celltrial.participants.vault import ensure_vault_key

    ensure_vault_key()


@pytest.fixture
def checked_protocol(protocol):
    from celltrial.core.actor import Actor
    from celltrial.study.interface import protocol_in_force
    from celltrial.study.protocol.edit_checks import EditCheck
    from celltrial.study.services import store_protocol

    definition = protocol_in_force()
    amended = definition.model_copy(update={"edit_checks": [EditCheck.model_validate(c) for c in CHECKS]})
    return store_protocol(Actor.system("test"), amended, source_name="with-checks", reason="edit checks").version


@pytest.fixture
def child(checked_protocol, site):
    from django.utils import timezone

    from celltrial.core.actor import Actor
    from celltrial.participants.services import screen_child
    from tests.participants.helpers import identity

    return screen_child(Actor.system("test"), site_code=site.code, identity=identity(dt.date(2017, 5, 6)),
                        screened_on=timezone.localdate())


@pytest.fixture
def team(make_user):
    return {role: make_user(f"q_{role}", role) for role in
            ("data_manager", "monitor", "coordinator", "investigator", "rater", "auditor")}


def act(user: Any, permission: str, site: Any):
    from celltrial.accounts import permissions

    return permissions.actor_for(user, permission, site.code)


def as_role(user: Any, site: Any):
    """The actor a caller would claim for the user's own role at ``site`` (refusal tests: no grant check first)."""
    from celltrial.core.actor import Actor

    return Actor(user=user, role=user.memberships.first().role, site_code=site.code)


def write_record(participant: Any, visit: str, form: str, values: dict[str, Any], *, status: str = "complete",
                 actor: Any = None) -> Any:
    """Create or change a form record the way the form engine does: one audited write, then the gate."""
    from celltrial.audit.operations import Update, insert
    from celltrial.capture.models import FormRecord
    from celltrial.capture.quality import gate
    from celltrial.core.actor import Actor

    who = actor or Actor.system("test entry")
    existing = FormRecord.objects.filter(participant=participant, visit=visit, form=form, repeat=1).first()
    if existing is None:
        record = insert(who, FormRecord(site=participant.site, participant=participant, visit=visit, form=form,
                                        repeat=1, values=values, status=status, dictionary_version=1))
        old: dict[str, Any] = {}
    else:
        old = dict(existing.values)
        record = Update("enter_form", FormRecord, permission="capture.form.enter", fields=("values", "status"))(
            who, existing, {"values": values, "status": status}, expected_version=existing.version,
            reason="correction").instance
    gate.after_save(who, record, old, values)
    return record
