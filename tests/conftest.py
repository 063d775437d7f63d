"""Shared fixtures: the default protocol loaded, one user per role at the first site."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("CELLTRIAL_DATA_DIR", os.path.join(os.path.dirname(__file__), "..", "var", "test"))

# One Playwright and one Chromium per test process: every journey, wherever its file, uses these fixtures.
pytest_plugins = ["tests.browser.fixtures"]

PASSWORD = "correct-horse-battery-9"
TRIAL_WIDE = object()  # make_user(..., at=TRIAL_WIDE): a role held at every site


@pytest.fixture
def protocol(db):
    from celltrial.core.actor import Actor
    from celltrial.study.protocol import default_protocol_path
    from celltrial.study.services import load_protocol_file

    return load_protocol_file(Actor.system("test"), default_protocol_path()).version


@pytest.fixture
def site(protocol):
    from celltrial.study.models import Site

    return Site.objects.order_by("code").first()


@pytest.fixture
def other_site(protocol):
    """A second site, to prove that site scoping hides it."""
    from celltrial.core.actor import Actor
    from celltrial.study.services import add_site

    return add_site(Actor.system("test"), code="SH-01", name_en="Shanghai Mental Health Center",
                        name_zh="上海市精神卫生中心", country="CN", timezone="Asia/Shanghai",
                        principal_investigator="Dr Other")


@pytest.fixture
def make_user(site):
    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor

    def make(username: str, role: str, *, at=None, pii: bool = False):
        """A user with one role at ``at`` (default: the first site; ``TRIAL_WIDE``: every site)."""
        where = None if at is TRIAL_WIDE else (at or site)
        return create_user(Actor.system("test"), username=username, password=PASSWORD,
                           full_name=f"{username.title()} Tester", memberships=[(where, role, pii)])

    return make


@pytest.fixture
def users(make_user):
    from celltrial.accounts.roles import Role

    return {role: make_user(role.value, role.value) for role in Role}


@pytest.fixture
def login(client):
    def do(user):
        client.force_login(user)
        return client

    return do


@pytest.fixture(autouse=True)
def _english_after_each_test(request):
    """A page fetched in Chinese leaves Chinese active in the thread; the next test starts in English."""
    yield
    if request.config.pluginmanager.hasplugin("django"):
        from django.utils import translation

        translation.activate("en")


@pytest.fixture(autouse=True)
def _fast_password_hashing(request):
    """Argon2 is deliberately slow; tests that are not about hashing use a fast hasher.

    Pure-module tests also run without Django (``-p no:django``); then there is nothing to set.
    """
    if request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("settings").PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def audit_purge_on_teardown(transactional_db):
    """Transactional tests flush every table afterwards, which the append-only triggers refuse.

    Drop them just before the flush (this teardown runs first); the audit app's post_migrate hook,
    which the flush emits, installs them again for the next test.
    """
    yield
    from django.db import connection

    from celltrial.audit import triggers

    with connection.cursor() as cursor:
        for sql in triggers.statements(connection.vendor, drop=True):
            cursor.execute(sql)
