"""Login controls: argon2 hashing, lockout after repeated failures, idle timeout.

21 CFR 11.300(d): safeguards to prevent unauthorized use of passwords, and to detect and report
attempts at their unauthorized use; DESIGN.md "Who uses it" and issue 2 item 5.
"""

from __future__ import annotations

import time

import pytest
from django.test import override_settings
from django.urls import reverse

from celltrial.accounts.models import User
from celltrial.audit.models import AuditEntry
from tests.conftest import PASSWORD


def test_passwords_are_hashed_with_argon2(settings, make_user):
    from celltrial import settings as shipped

    settings.PASSWORD_HASHERS = shipped.PASSWORD_HASHERS  # undo the tests' fast hasher
    assert make_user("crc-argon", "coordinator").password.startswith("argon2$argon2id$")


def _post_login(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


@override_settings(CELLTRIAL_LOCKOUT_THRESHOLD=3)
def test_account_locks_after_repeated_failures_even_for_the_right_password(client, users):
    for _ in range(3):
        response = _post_login(client, "coordinator", "wrong-password")
        assert response.status_code == 200
    assert User.objects.get(username="coordinator").is_locked()
    response = _post_login(client, "coordinator", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="lockout", object_repr="coordinator").count() == 1
    failed = AuditEntry.objects.filter(action="login_failed", object_repr="coordinator")
    # two wrong passwords, then the right one tried on the locked account: each an entry
    assert failed.count() == 3
    assert failed.filter(reason="account locked").count() == 1
    # The refusal does not tell a locked account from a wrong password or an unknown name.
    unknown = _post_login(client, "nobody-has-this-name", PASSWORD)
    assert _login_error(response) == _login_error(unknown)


def test_successful_login_resets_the_failure_count(client, users):
    _post_login(client, "coordinator", "wrong-password")
    assert User.objects.get(username="coordinator").failed_login_count == 1
    response = _post_login(client, "coordinator", PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(username="coordinator").failed_login_count == 0


def _login_error(response) -> str:
    import re

    return re.search(r'<ul class="errorlist"[^>]*>(.*?)</ul>', response.content.decode(), re.S).group(1)


def test_unknown_user_gets_the_same_message_and_an_entry(client, users):
    response = _post_login(client, "nobody", "whatever")
    wrong = _post_login(client, "coordinator", "wrong-password")
    assert "not correct" in _login_error(response)
    assert _login_error(response) == _login_error(wrong)
    entry = AuditEntry.objects.get(object_type="accounts.login")
    assert (entry.action, entry.object_repr, entry.reason) == ("login_failed", "nobody", "unknown username")


@override_settings(CELLTRIAL_IDLE_TIMEOUT_SECONDS=60)
def test_idle_session_is_logged_out(client, users, monkeypatch):
    client.force_login(users["coordinator"])
    assert client.get(reverse("home")).status_code == 200
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("login") + "?timeout=1")
    assert "_auth_user_id" not in client.session
    assert "inactivity" in client.get(response.url).content.decode()


def test_pii_permission_is_separate_from_clinical_access(make_user):
    from celltrial.accounts import permissions
    from celltrial.accounts.roles import PII_VIEW
    from celltrial.study.permissions import PROTOCOL_VIEW

    plain = make_user("crc1", "coordinator", pii=False)
    trusted = make_user("crc2", "coordinator", pii=True)
    assert permissions.has_perm(plain, PROTOCOL_VIEW) and permissions.has_perm(trusted, PROTOCOL_VIEW)
    assert not permissions.has_perm(plain, PII_VIEW)
    assert permissions.has_perm(trusted, PII_VIEW)


def test_user_without_membership_can_do_nothing(db, protocol):
    from celltrial.accounts import permissions
    from celltrial.accounts.roles import all_permissions
    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor

    lonely = create_user(Actor.system("test"), username="lonely", password=PASSWORD)
    assert all_permissions(), "the rooms' permissions are registered"
    assert not any(permissions.has_perm(lonely, p) for p in all_permissions())


@pytest.mark.parametrize("permission", ["unknown.permission", ""])
def test_unknown_permissions_are_denied(users, permission):
    from celltrial.accounts import permissions

    assert not any(permissions.has_perm(u, permission) for u in users.values())


@override_settings(CELLTRIAL_IDLE_TIMEOUT_SECONDS=900)
def test_activity_is_recorded_once_a_minute_not_on_every_request(client, users, monkeypatch):
    """A page view within a minute of the last recorded activity writes no session and sends no cookie;
    a view a minute later records it, so an active user is never logged out early by more than that."""
    client.force_login(users["coordinator"])
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now)
    first = client.get(reverse("home"))
    assert first.status_code == 200 and "sessionid" in first.cookies  # the first activity is recorded
    monkeypatch.setattr(time, "time", lambda: now + 30)
    quiet = client.get(reverse("home"))
    assert quiet.status_code == 200 and "sessionid" not in quiet.cookies
    monkeypatch.setattr(time, "time", lambda: now + 61)
    again = client.get(reverse("home"))
    assert again.status_code == 200 and "sessionid" in again.cookies
    monkeypatch.setattr(time, "time", lambda: now + 61 + 899)  # 899 s idle since the last recorded activity
    assert client.get(reverse("home")).status_code == 200
