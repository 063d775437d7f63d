"""Access changes are audited records, and a locked or deactivated account stops working at once
(issue "Re-foundation", findings 5 and 6; 21 CFR 11.10(d) limiting access, 11.300 controls for
identification codes and passwords)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from celltrial.accounts import services
from celltrial.accounts.models import ApiToken, Membership, User
from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from tests.conftest import PASSWORD

SYSTEM = Actor.system("test")


def _entries(obj):
    return AuditEntry.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk)).order_by("id")


def test_a_locked_account_loses_its_token_and_its_session(users, client, settings):
    settings.CELLTRIAL_LOCKOUT_THRESHOLD = 2
    user = users["auditor"]
    token = services.issue_token(SYSTEM, user, "t")
    assert client.get("/api/audit/entries", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 200

    for _ in range(2):
        services.register_failed_password(User.objects.get(pk=user.pk))
    assert User.objects.get(pk=user.pk).is_locked()

    assert client.get("/api/audit/entries", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    response = client.get(reverse("home"))
    assert response.status_code == 302 and reverse("login") in response.url
    assert ApiToken.objects.get(user=user).revoked_at is not None


def test_a_locked_session_cannot_save(users, client, settings, site):
    """The finding: a locked account's open session saved a site edit."""
    settings.CELLTRIAL_LOCKOUT_THRESHOLD = 1
    admin = users["admin"]
    client.force_login(admin)
    services.register_failed_password(User.objects.get(pk=admin.pk))
    response = client.post(reverse("site_edit", args=[site.code]), {
        "principal_investigator": "Locked edit", "name_en": site.name_en, "name_zh": "", "timezone": site.timezone,
        "reason": "x", "version": site.version})
    assert response.status_code == 302 and reverse("login") in response.url
    site.refresh_from_db()
    assert site.principal_investigator != "Locked edit"


def test_deactivation_ends_sessions_revokes_tokens_and_is_audited(users, client):
    user = users["coordinator"]
    token = services.issue_token(SYSTEM, user, "t")
    client.force_login(user)
    services.deactivate_user(SYSTEM, user, reason="left the trial team")
    assert client.get(reverse("home")).status_code == 302
    assert client.get("/api/protocol/current", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    entry = _entries(user).filter(action="update").last()
    assert entry.changes["is_active"] == [True, False] and entry.reason == "left the trial team"
    revoked = _entries(ApiToken.objects.get(user=user)).last()
    assert revoked.changes["revoked_at"][0] is None and revoked.reason == "account deactivated"


def test_membership_grant_pii_and_end_are_each_an_entry(users, site, other_site):
    user = users["rater"]
    m = services.grant(SYSTEM, user, other_site, "rater", can_view_pii=False)
    services.grant(SYSTEM, user, other_site, "rater", can_view_pii=True)
    services.end_membership(SYSTEM, user, other_site, "rater", reason="moved site")
    actions = [(e.action, e.site_code, sorted(e.changes)) for e in _entries(m)]
    assert actions[0][:2] == ("create", other_site.code)
    assert actions[1] == ("update", other_site.code, ["can_view_pii"])
    assert actions[2] == ("update", other_site.code, ["active", "ended_at"])
    assert not Membership.objects.get(pk=m.pk).active


def test_password_change_records_the_fact_never_the_hash(users):
    user = users["monitor"]
    services.set_password(SYSTEM, user, "another-long-passphrase-7")
    entry = _entries(user).last()
    assert entry.reason == "password changed"
    old, new = entry.changes["password"]
    assert old == new == "‹secret›"
    assert "argon2" not in str(entry.changes) and "md5" not in str(entry.changes)
    assert User.objects.get(pk=user.pk).check_password("another-long-passphrase-7")


def test_superuser_and_staff_flags_are_audited(users):
    user = users["admin"]
    services.set_staff_flags(SYSTEM, user, is_staff=True, is_superuser=True, reason="break-glass account")
    entry = _entries(user).last()
    assert entry.changes["is_superuser"] == [False, True] and entry.changes["is_staff"] == [False, True]


def test_personal_contact_data_never_enters_the_trail(db, protocol):
    user = services.create_user(SYSTEM, username="li.na", password=PASSWORD, email="li.na@hospital.example")
    created = _entries(user).first()
    assert created.changes["email"] == [None, "‹personal data›"]
    assert "hospital.example" not in str(AuditEntry.objects.values_list("changes", flat=True)[:50])


def test_a_site_admin_cannot_manage_users(users, site):
    """Managing people is a trial-wide administrator's act (or the operator's command)."""
    from django.core.exceptions import PermissionDenied

    site_admin = Actor(user=users["admin"], role="admin", site_code=site.code)
    with pytest.raises(PermissionDenied):
        services.grant(site_admin, users["rater"], site, "investigator")


def test_token_revoke_command(users, capsys):
    from celltrial.cli import main

    token = services.issue_token(SYSTEM, users["qa"], "laptop")
    assert main(["token", "revoke", token[:8], "--reason", "laptop lost"]) == 0
    assert services.user_for_token(token) is None
    assert main(["token", "revoke", "ct_nope0", "--reason", "x"]) == 2
    assert "no unrevoked token" in capsys.readouterr().err


def test_user_deactivate_and_end_commands(users, site, capsys):
    from celltrial.cli import main

    assert main(["user", "end", "rater", "--role", "rater", "--site", site.code, "--reason", "left"]) == 0
    assert not Membership.objects.filter(user=users["rater"], active=True).exists()
    assert main(["user", "deactivate", "rater", "--reason", "left the trial"]) == 0
    assert not User.objects.get(pk=users["rater"].pk).is_active
    assert main(["user", "end", "rater", "--role", "rater", "--site", site.code, "--reason", "again"]) == 2


def test_logout_and_idle_logout_are_entries(users, client, settings):
    import time

    from celltrial.accounts.middleware import LAST_SEEN

    user = users["rater"]
    client.force_login(user)
    client.post(reverse("logout"))
    assert AuditEntry.objects.filter(action="logout", object_id=str(user.pk), reason="").count() == 1
    client.force_login(user)
    session = client.session
    session[LAST_SEEN] = time.time() - settings.CELLTRIAL_IDLE_TIMEOUT_SECONDS - 5
    session.save()
    assert client.get(reverse("home")).status_code == 302
    assert AuditEntry.objects.filter(action="logout", object_id=str(user.pk), reason="idle timeout").count() == 1


def test_a_token_records_its_last_use_to_the_minute(users):
    """The token row is written when it was last used more than a minute ago, not on every request."""
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    token = services.issue_token(Actor.system("test"), users["coordinator"], "tablet")
    assert services.user_for_token(token) == users["coordinator"]
    row = ApiToken.objects.get(token_hash=ApiToken.digest(token))
    first = row.last_used_at
    assert first is not None
    assert services.user_for_token(token) == users["coordinator"]
    row.refresh_from_db()
    assert row.last_used_at == first  # a second request within the minute: no write
    later = timezone.now() + dt.timedelta(minutes=2)
    with mock.patch("celltrial.accounts.services.timezone.now", return_value=later):
        assert services.user_for_token(token) == users["coordinator"]
    row.refresh_from_db()
    assert row.last_used_at == later
