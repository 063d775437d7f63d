"""Many coordinators save at once: writers to different records never queue behind one another.

The audit chain is per object stream, so a writer locks only its own stream's head (DESIGN.md
"Audit": the chain must not serialise every write in the system behind one lock). PostgreSQL only:
SQLite admits one writer at a time by design, which is why it is the embedded default, not the
production database.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from celltrial.audit.verify import verify
from celltrial.core.actor import Actor
from celltrial.study.models import Site
from celltrial.study.services import edit_site

pytestmark = pytest.mark.django_db(transaction=True)

SYSTEM = Actor.system("test")


def _hold_open(site_pk: int, started: threading.Event, release: threading.Event, errors: list) -> None:
    """Update a site and keep the transaction (and its stream lock) open until released."""
    try:
        with transaction.atomic():
            site = Site.objects.get(pk=site_pk)
            edit_site(SYSTEM, site, {"principal_investigator": "Holder"}, expected_version=site.version,
                         reason="long edit")
            started.set()
            release.wait(10)
    except Exception as exc:  # reported to the main thread
        errors.append(exc)
        started.set()
    finally:
        connection.close()


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL property; SQLite serialises writers")


def test_writers_to_different_records_do_not_wait(postgres_only, audit_purge_on_teardown, site, other_site):
    started, release, errors = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_hold_open, args=(site.pk, started, release, errors))
    holder.start()
    try:
        assert started.wait(10) and not errors
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '2s'")
            other = Site.objects.get(pk=other_site.pk)
            edit_site(SYSTEM, other, {"principal_investigator": "Other"}, expected_version=other.version,
                         reason="concurrent edit of another record")
    finally:
        release.set()
        holder.join(10)
    assert not errors
    assert verify().ok


def test_writers_to_the_same_record_take_turns(postgres_only, audit_purge_on_teardown, site):
    started, release, errors = threading.Event(), threading.Event(), []
    holder = threading.Thread(target=_hold_open, args=(site.pk, started, release, errors))
    holder.start()
    try:
        assert started.wait(10) and not errors
        with pytest.raises(OperationalError, match="lock timeout"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute("SET LOCAL lock_timeout = '500ms'")
            same = Site.objects.get(pk=site.pk)
            edit_site(SYSTEM, same, {"principal_investigator": "Second"}, expected_version=same.version,
                         reason="concurrent edit of the same record")
    finally:
        release.set()
        holder.join(10)
    assert not errors
    assert verify().ok
