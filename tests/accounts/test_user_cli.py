"""`celltrial user`: the administrator's way to add people, grant roles and unlock accounts (audited)."""

from __future__ import annotations

import io
import json

from celltrial.accounts import permissions
from celltrial.accounts.models import User
from celltrial.accounts.roles import PII_VIEW
from celltrial.audit.models import AuditEntry
from celltrial.cli import main
from celltrial.study.permissions import PROTOCOL_VIEW


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
    # Each membership is its own audited record: the one added with the user, and the grant.
    assert AuditEntry.objects.filter(object_type="accounts.membership", action="create").count() == 2

    from celltrial.accounts.services import register_failed_password

    for _ in range(5):
        register_failed_password(User.objects.get(pk=user.pk))
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
