"""Named operations on sites: the permission is checked inside, only the operation's fields change,
the audit entry is written, signatures are voided and the user is told — issue "Re-foundation", finding 1.
"""

from __future__ import annotations

import pytest

from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.study.models import Site
from celltrial.study.services import edit_site


def _admin(users, site):
    return Actor(user=users["admin"], role="admin", site_code=site.code)


@pytest.mark.parametrize("field", ["protocol_version", "version", "created_at", "code", "active", "country"])
def test_edit_site_refuses_fields_outside_the_operation(users, site, field):
    """The generic update set protocol_version, version and created_at and hid them in the diff."""
    before = Site.objects.get(pk=site.pk)
    with pytest.raises(ValidationFailed) as refused:
        edit_site(_admin(users, site), site, {field: 7, "principal_investigator": "X"},
                  expected_version=site.version, reason="try")
    assert field in refused.value.errors
    after = Site.objects.get(pk=site.pk)
    assert (after.version, after.protocol_version, after.principal_investigator) == (
        before.version, before.protocol_version, before.principal_investigator)


@pytest.mark.parametrize("role", ["coordinator", "qa", "auditor", "investigator", "guardian"])
def test_edit_site_checks_the_permission_inside(users, site, role):
    with pytest.raises(AccessDenied):
        edit_site(Actor(user=users[role], role=role, site_code=site.code), site,
                  {"principal_investigator": "X"}, expected_version=site.version, reason="try")
    assert not AuditEntry.objects.filter(object_type="study.site", action="update").exists()


def test_an_admin_of_one_site_cannot_edit_another(users, site, other_site):
    with pytest.raises(AccessDenied):
        edit_site(_admin(users, site), other_site, {"principal_investigator": "X"},
                  expected_version=other_site.version, reason="try")


def test_an_actor_claiming_a_role_it_lacks_is_refused(users, site):
    """The actor names the role it acts in; a coordinator cannot act as an admin."""
    with pytest.raises(AccessDenied):
        edit_site(Actor(user=users["coordinator"], role="admin", site_code=site.code), site,
                  {"principal_investigator": "X"}, expected_version=site.version, reason="try")


def test_a_save_that_changes_nothing_writes_nothing(users, site):
    saved = edit_site(_admin(users, site), site, {"principal_investigator": site.principal_investigator},
                      expected_version=site.version, reason="no-op")
    assert not saved.changed
    assert Site.objects.get(pk=site.pk).version == site.version
    assert not AuditEntry.objects.filter(object_type="study.site", action="update").exists()


def test_reason_for_change_has_a_stated_limit(users, site):
    with pytest.raises(ValidationFailed) as refused:
        edit_site(_admin(users, site), site, {"principal_investigator": "X"}, expected_version=site.version,
                  reason="r" * 100_000)
    assert "at most 1000" in str(refused.value)
    edit_site(_admin(users, site), site, {"principal_investigator": "X"}, expected_version=site.version,
              reason="r" * 1000)


def test_stale_save_is_a_conflict_with_both_versions(users, site):
    actor = _admin(users, site)
    edit_site(actor, site, {"principal_investigator": "First"}, expected_version=site.version, reason="a")
    with pytest.raises(ConflictError) as conflict:
        edit_site(actor, site, {"principal_investigator": "Second"}, expected_version=site.version, reason="b")
    assert conflict.value.current_values["principal_investigator"] == "First"
    assert conflict.value.attempted_values["principal_investigator"] == "Second"


def test_preview_names_the_signatures_a_save_would_void(users, site):
    from celltrial.study.services import sign_site_activation
    from tests.conftest import PASSWORD

    qa = Actor(user=users["qa"], role="qa", site_code=site.code)
    signature = sign_site_activation(qa, site, password=PASSWORD, meaning="approved")
    preview = edit_site.preview(_admin(users, site), site, {"principal_investigator": "Prof. New"})
    assert preview.changes == {"principal_investigator": [site.principal_investigator, "Prof. New"]}
    assert [s.pk for s in preview.would_void] == [signature.pk]
    assert not edit_site.preview(_admin(users, site), site, {"principal_investigator": site.principal_investigator}
                                 ).would_void
    saved = edit_site(_admin(users, site), site, {"principal_investigator": "Prof. New"},
                      expected_version=site.version, reason="PI changed")
    assert [s.pk for s in saved.voided] == [signature.pk]
