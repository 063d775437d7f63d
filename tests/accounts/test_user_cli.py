"""`celltrial user`: the administrator's way to add people, grant roles and unlock accounts (audited)."""

from __future__ import annotations

import io
import json
from datetime import timedelta

from django.utils import timezone

from celltrial.accounts import permissions
from celltrial.accounts.models import User
from celltrial.accounts.roles import PII_VIEW, PROTOCOL_VIEW
from celltrial.audit.models import AuditEntry
from celltrial.cli import main


def _stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text + "\n"))


def test_add_grant_list_unlock(site, other_site, monkeypatch, capsys):
    _stdin(monkeypatch, "a-sufficiently-long-passphrase")
    assert main(["user", "add", "li.na", "--role", "coordinator", "--site", site.code, "--full-name", "Li Na",
                 "--password-stdin"]) == 0
    user = User.objects.get(username="li.na")
    assert user.check_password("a-sufficiently-long-passphrase")
    assert permissions.has_perm(user, PROTOCOL_VIEW, site.code)
    assert not permissions.has_perm(user, PII_VIEW)

    assert main(["user", "grant", "li.na", "--role", "coordinator", "--site", other_site.code, "--pii"]) == 0
    user = User.objects.get(username="li.na")
    assert permissions.has_perm(user, PII_VIEW, other_site.code)
    assert AuditEntry.objects.filter(object_type="accounts.membership").count() == 1

    User.objects.filter(pk=user.pk).update(failed_login_count=5, locked_until=timezone.now() + timedelta(minutes=5))
    capsys.readouterr()
    assert main(["user", "list", "--json"]) == 0
    listed = {r["username"]: r for r in json.loads(capsys.readouterr().out)}
    assert listed["li.na"]["locked"] is True
    assert main(["user", "unlock", "li.na"]) == 0
    assert not User.objects.get(pk=user.pk).is_locked()


def test_weak_password_and_bad_site_are_one_line_errors(site, monkeypatch, capsys):
    _stdin(monkeypatch, "123")
    assert main(["user", "add", "x", "--role", "rater", "--site", site.code, "--password-stdin"]) == 2
    err = capsys.readouterr().err
    assert "password" in err and "too short" in err
    assert not User.objects.filter(username="x").exists()
    _stdin(monkeypatch, "a-sufficiently-long-passphrase")
    assert main(["user", "add", "x", "--role", "rater", "--site", "NOPE", "--password-stdin"]) == 2
    assert "no site 'NOPE'" in capsys.readouterr().err
