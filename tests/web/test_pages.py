"""The web shell: a home page per role, the audit-trail viewer with its filters, the protocol viewer."""

from __future__ import annotations

from django.urls import reverse

from celltrial.core.actor import Actor
from celltrial.study.services import edit_site
from tests.conftest import TRIAL_WIDE


def _home(client, user):
    client.force_login(user)
    return client.get(reverse("home")).content.decode()


def test_each_role_sees_its_own_home(users, client):
    coordinator = _home(client, users["coordinator"])
    assert 'data-role="coordinator"' in coordinator
    assert "Screening, visits, data entry" in coordinator
    assert reverse("audit") not in coordinator  # no audit tile or menu entry for a coordinator

    auditor = _home(client, users["auditor"])
    assert 'data-role="auditor"' in auditor and reverse("audit") in auditor
    assert "Read-only review" in auditor

    guardian = _home(client, users["guardian"])
    assert 'data-role="guardian"' in guardian
    assert reverse("protocol") not in guardian


def test_audit_viewer_filters(users, site, client):
    admin = Actor(user=users["admin"], role="admin", site_code=site.code)
    edit_site(admin, site, {"principal_investigator": "Prof. Filter"}, expected_version=site.version,
                 reason="delegation log v2")
    client.force_login(users["auditor"])
    url = reverse("audit")
    everything = client.get(url).content.decode()
    assert "Prof. Filter" in everything and "coordinator" in everything

    only_updates = client.get(url, {"action": "update"}).content.decode()
    assert "Prof. Filter" in only_updates and "delegation log v2" in only_updates
    assert '<span class="badge">create</span>' not in only_updates
    assert '<span class="badge">create</span>' in everything

    by_user = client.get(url, {"username": "admin", "action": "update"}).content.decode()
    assert "Prof. Filter" in by_user
    assert "No entries match" in client.get(url, {"username": "nobody-at-all"}).content.decode()

    bad_dates = client.get(url, {"date_from": "2026-02-01", "date_to": "2026-01-01"})
    assert "The end date is before the start date." in bad_dates.content.decode()


def test_audit_roles_are_named_in_the_readers_language(users, site, client):
    """The role column names the role (DESIGN.md "Languages": the audit vocabulary is translated), not its code."""
    admin = Actor(user=users["admin"], role="admin", site_code=site.code)
    edit_site(admin, site, {"principal_investigator": "Prof. Role"}, expected_version=site.version, reason="delegation")
    client.force_login(users["auditor"])
    english = client.get(reverse("audit"), {"action": "update"}).content.decode()
    assert '"Role">System administrator</td>' in english and '"Role">admin</td>' not in english
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get(reverse("audit"), {"action": "update"}, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-label="角色">系统管理员</td>' in chinese and 'data-label="角色">admin</td>' not in chinese


def test_audit_times_are_shown_in_site_time(users, site, client):
    """Store UTC, show site-local (DESIGN.md "Time"): Beijing is UTC+8 all year."""
    import zoneinfo

    from celltrial.audit.models import AuditEntry

    entry = AuditEntry.objects.filter(site_code=site.code).latest("id")
    client.force_login(users["auditor"])
    html = client.get(reverse("audit"), {"site": site.code}).content.decode()
    local = entry.occurred_at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    utc = entry.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
    assert site.timezone == "Asia/Shanghai"
    assert local in html and utc not in html


def test_protocol_viewer_shows_schedule_and_eligibility(users, protocol, client):
    client.force_login(users["coordinator"])
    html = client.get(reverse("protocol")).content.decode()
    definition = protocol.definition()
    assert 'id="schedule-grid"' in html
    for visit in definition.visits:
        assert visit.label.en in html
    for criterion in definition.eligibility:
        assert criterion.id in html
    assert "2.00e+06" in html  # the top dose level, in viable cells/kg


def test_site_edit_conflict_shows_both_versions(users, site, client):
    client.force_login(users["admin"])
    url = reverse("site_edit", args=[site.code])
    form = {"principal_investigator": "Mine", "name_en": site.name_en, "name_zh": site.name_zh,
            "timezone": site.timezone, "reason": "fix", "version": site.version}
    assert client.post(url, form).status_code == 302
    stale = client.post(url, {**form, "principal_investigator": "Stale edit"})
    html = stale.content.decode()
    assert stale.status_code == 409  # Conflict
    assert "changed by someone else" in html and "Mine" in html and "Stale edit" in html


def test_site_edit_refuses_a_bad_time_zone_and_keeps_the_input(users, site, client):
    client.force_login(users["admin"])
    response = client.post(reverse("site_edit", args=[site.code]), {
        "principal_investigator": "Typed by me", "name_en": site.name_en, "name_zh": "", "timezone": "Mars/Base",
        "reason": "fix", "version": site.version})
    html = response.content.decode()
    assert response.status_code == 400 and "Unknown time zone" in html and "Typed by me" in html


def test_long_change_values_are_folded(make_user, protocol, client):
    """Loading a protocol records its whole content; the trail shows it folded, not as a wall of text.

    The protocol is trial-wide: only a trial-wide auditor sees its entries."""
    client.force_login(make_user("sponsor-auditor", "auditor", at=TRIAL_WIDE))
    html = client.get(reverse("audit"), {"object_type": "study.protocolversion"}).content.decode()
    assert '<details class="value">' in html
    assert protocol.content_hash[:16] in html  # short values stay in plain view
