"""House rules that keep the architecture standing (DESIGN.md "Architecture" and "Audit")."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Models that are not trial data, each with why it is written outside AuditedModel.
NOT_TRIAL_DATA = {
    "audit.auditentry": "the audit trail itself (append-only by database triggers)",
    "audit.streamhead": "the per-stream head of the hash chain, derived from the entries",
    "accounts.user": "accounts: every change is audited by accounts.services through record_event",
    "accounts.membership": "created only by accounts.services.create_user, which audits it",
    "accounts.apitoken": "created only by accounts.services.issue_token, which audits it",
}


def test_pure_modules_do_not_import_django():
    """The import-linter contract in pyproject.toml, run as part of the suite."""
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


@pytest.mark.django_db
def test_every_trial_data_model_is_audited():
    from django.apps import apps

    from celltrial.audit.models import AuditedModel

    unaudited = [
        m._meta.label_lower
        for m in apps.get_models()
        if m.__module__.startswith("celltrial.")
        and not issubclass(m, AuditedModel)
        and m._meta.label_lower not in NOT_TRIAL_DATA
    ]
    assert unaudited == [], f"models holding trial data must subclass AuditedModel: {unaudited}"
