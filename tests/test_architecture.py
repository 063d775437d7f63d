"""House rules that keep the architecture standing (DESIGN.md "Architecture" and "Audit")."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Models that are not trial data, each with why it is written outside AuditedModel.
NOT_TRIAL_DATA = {
    "audit.auditentry": "the audit trail itself (append-only by database triggers)",
    "audit.streamhead": "the per-stream head of the hash chain, derived from the entries",
}


def test_pure_modules_do_not_import_django():
    """The import-linter contract in pyproject.toml, run as part of the suite."""
    from importlinter.cli import lint_imports

    assert lint_imports(config_filename=str(ROOT / "pyproject.toml")) == 0


@pytest.mark.django_db
def test_every_trial_data_model_is_audited():
    from django.apps import apps

    from celltrial.core.models import AuditedModel

    unaudited = [
        m._meta.label_lower
        for m in apps.get_models()
        if m.__module__.startswith("celltrial.")
        and not issubclass(m, AuditedModel)
        and m._meta.label_lower not in NOT_TRIAL_DATA
    ]
    assert unaudited == [], f"models holding trial data must subclass AuditedModel: {unaudited}"


def _python_sources(*parts: str) -> list[Path]:
    base = ROOT / "src" / "celltrial"
    return [p for p in base.joinpath(*parts).rglob("*.py") if "migrations" not in p.parts]


# The only modules that may enter the auditing scope: the writers that append the entry themselves.
SCOPE_WRITERS = {"src/celltrial/audit/trail.py", "src/celltrial/audit/operations.py"}


def test_only_the_audit_writers_enter_the_service_scope():
    """Every other module writes trial data through named operations, so bulk paths stay refused."""
    users = {str(p.relative_to(ROOT)) for p in _python_sources() if "service_scope" in p.read_text()}
    assert users - {"src/celltrial/core/writes.py"} == SCOPE_WRITERS


def test_no_raw_sql_outside_the_audit_room():
    """Raw SQL would write rows without entries; only the audit room (triggers, roles) runs SQL."""
    offenders = [
        str(p.relative_to(ROOT)) for p in _python_sources()
        if any(token in p.read_text() for token in ("cursor()", ".raw(", ".extra("))
        and "src/celltrial/audit/" not in str(p)
    ]
    assert offenders == []


@pytest.mark.django_db
def test_every_audited_model_declares_its_site():
    """A record with no declared site would be visible to everyone; the system check refuses it."""
    from django.core.management import call_command

    call_command("check", fail_level="ERROR")

    from django.apps import apps

    from celltrial.core.models import AuditedModel

    undeclared = [m._meta.label for m in apps.get_models() if issubclass(m, AuditedModel) and m.site_path is None]
    assert undeclared == []


def test_web_names_no_room_page_or_permission():
    """web assembles what rooms declare: it names no room's URL, permission or template."""
    web = "\n".join(p.read_text() for p in _python_sources("web"))
    for room_name in ("site_detail", "protocol_version", "AUDIT_VIEW", "SITE_VIEW", "PROTOCOL_VIEW", "study/",
                      "inspection/"):
        assert room_name not in web, room_name


def test_every_room_declares_what_web_and_api_assemble():
    from celltrial.core.rooms import rooms

    found = {room.label: (bool(room.permissions), bool(room.urls), bool(room.navigation)) for room in rooms()}
    assert found["study"] == (True, True, True)
    assert found["inspection"] == (True, True, True)


def test_every_pure_librarys_input_error_is_the_one_base():
    """One input-error base: `celltrial` turns it into exit 2 and one line, the API into 422."""
    from celltrial.capture.instruments.errors import InstrumentInputError
    from celltrial.core.errors import InputError
    from celltrial.escalation.protocol_design import ProtocolDesignError
    from celltrial.identifiers.formats import IdentifierError
    from celltrial.identifiers.iso7064 import CheckCharacterError
    from celltrial.logic.errors import LogicSyntaxError
    from celltrial.product.rules.errors import RuleInputError
    from celltrial.safety.clocks import ClockInputError
    from celltrial.safety.ctcae.errors import CtcaeInputError
    from celltrial.study.protocol.errors import ProtocolError

    bases = [InstrumentInputError, ProtocolDesignError, IdentifierError, CheckCharacterError, LogicSyntaxError,
             RuleInputError, ClockInputError, CtcaeInputError, ProtocolError]
    assert [b.__name__ for b in bases if not issubclass(b, InputError)] == []
