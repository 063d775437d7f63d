"""Scoping fails closed: a record without a site is visible only to trial-wide roles, and one site's
people, roles and PII grants are hidden from another site's readers (issue "Re-foundation", finding 4)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from celltrial.accounts import permissions, services
from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from celltrial.inspection.permissions import AUDIT_VIEW, PERMISSIONS
from celltrial.study.models import ProtocolVersion, Site
from tests.conftest import TRIAL_WIDE

AUDIT_READERS = sorted(r.value for r in PERMISSIONS[AUDIT_VIEW])


@pytest.mark.parametrize("role", AUDIT_READERS)
def test_a_site_reader_sees_none_of_the_other_sites_access_changes(role, make_user, site, other_site, client):
    other = make_user(f"other-{role}", "coordinator", at=other_site)
    services.grant(Actor.system("test"), other, other_site, "investigator", can_view_pii=True)
    reader = make_user(f"reader-{role}", role, at=site)
    visible = permissions.scope(AuditEntry.objects.all(), reader, AUDIT_VIEW, site_field="site_code")
    assert not visible.filter(site_code=other_site.code).exists()
    # The people themselves (trial-wide records) are not visible to a site reader either.
    assert not visible.filter(object_type="accounts.user").exists()
    client.force_login(reader)
    page = client.get(reverse("audit")).content.decode()
    assert f"other-{role}" not in page and other_site.code not in page


def test_trial_wide_records_are_for_trial_wide_roles_only(make_user, site, protocol):
    site_reader = make_user("site-auditor", "auditor", at=site)
    sponsor = make_user("sponsor-auditor", "auditor", at=TRIAL_WIDE)
    assert not permissions.scope(ProtocolVersion.objects.all(), site_reader, AUDIT_VIEW).exists()
    assert permissions.scope(ProtocolVersion.objects.all(), sponsor, AUDIT_VIEW).exists()
    entries = AuditEntry.objects.filter(object_type="study.protocolversion")
    assert not permissions.scope(entries, site_reader, AUDIT_VIEW, site_field="site_code").exists()
    assert permissions.scope(entries, sponsor, AUDIT_VIEW, site_field="site_code").exists()


def test_a_trial_wide_role_holds_at_every_site(make_user, site, other_site):
    qa = make_user("sponsor-qa", "qa", at=TRIAL_WIDE)
    from celltrial.study.permissions import SITE_APPROVE

    assert permissions.has_perm(qa, SITE_APPROVE, site.code)
    assert permissions.has_perm(qa, SITE_APPROVE, other_site.code)
    assert set(permissions.scope(Site.objects.all(), qa, SITE_APPROVE)) == {site, other_site}
