"""Stored labels in Chinese (DESIGN.md "Languages"): audit actions, record types, field names, the
platform's own stored reasons and role labels all have a Chinese text, and the audit trail shows it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from celltrial.accounts.roles import ROLE_LABELS
from celltrial.audit.models import Action
from celltrial.inspection import vocabulary

SRC = Path(__file__).resolve().parents[2] / "src" / "celltrial"
CJK = re.compile(r"[\u4e00-\u9fff]")
AUDITED_APPS = ("accounts", "study", "audit")


def _chinese(text: object) -> bool:
    return bool(CJK.search(str(text)))


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def stored_reasons() -> set[str]:
    """Every reason the platform itself writes into the trail: the msgids marked with gettext_noop."""
    found: set[str] = set()
    for path in SRC.rglob("*.py"):
        found |= set(re.findall(r'gettext_noop\(\s*"((?:[^"\\]|\\.)*)"\s*\)', path.read_text(encoding="utf-8")))
    return found


def test_stored_reasons_are_found():
    reasons = stored_reasons()
    assert {"declared by the protocol", "initial protocol", "protocol amendment loaded",
            "The record changed after it was signed.", "unknown username", "account locked", "idle timeout",
            "password changed", "role granted again", "unlocked by administrator", "account deactivated"} <= reasons


def test_every_stored_reason_reads_in_chinese(zh):
    assert {r: vocabulary.reason_text(r) for r in stored_reasons() if not _chinese(vocabulary.reason_text(r))} == {}


def test_a_persons_own_reason_is_shown_as_typed(zh):
    assert vocabulary.reason_text("PI changed per delegation log") == "PI changed per delegation log"


def test_every_audit_action_reads_in_chinese(zh):
    assert [a for a in Action if not _chinese(vocabulary.action_label(a.value))] == []


def test_every_role_label_reads_in_chinese(zh):
    assert [r for r, label in ROLE_LABELS.items() if not _chinese(label)] == []


def _audited_models():
    return [m for name in AUDITED_APPS for m in apps.get_app_config(name).get_models()]


def test_every_record_type_reads_in_chinese(zh):
    untranslated = [m._meta.label_lower for m in _audited_models()
                    if not (_chinese(vocabulary.record_type_label(m._meta.label_lower))
                            and _chinese(m._meta.verbose_name_plural))]
    assert untranslated == []
    assert _chinese(vocabulary.record_type_label("accounts.login"))


def test_every_field_the_trail_can_show_reads_in_chinese(zh):
    """Each field's own name (verbose_name) is translated; the trail shows it beside the change."""
    untranslated = []
    for model in _audited_models():
        excluded = set(getattr(model, "AUDIT_EXCLUDE", ()))
        for field in model._meta.concrete_fields:
            if (field.primary_key and field.name == "id") or field.attname in excluded or field.name in excluded:
                continue
            if not _chinese(field.verbose_name):
                untranslated.append(f"{model._meta.label_lower}.{field.name}")
    assert untranslated == []
    assert _chinese(vocabulary.field_label("study.site", "principal_investigator"))
    assert _chinese(vocabulary.field_label("accounts.membership", "site_id"))


def test_the_audit_trail_shows_chinese_labels(make_user, site, client):
    from tests.conftest import TRIAL_WIDE

    client.force_login(make_user("zh-auditor", "auditor", at=TRIAL_WIDE))
    html = client.get(reverse("audit"), {"object_type": "study.site"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<span class="badge">创建</span>' in html
    assert "研究中心" in html and "主要研究者" in html and "由方案声明" in html
    for english in (">create<", "principal_investigator", "declared by the protocol", "Study.Site"):
        assert english not in html
