"""The participant list and the funnel run a number of queries that does not grow with the number of
participants (issue #8: "test with 10 and 200")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from celltrial.participants import services
from celltrial.participants.permissions import CONSENT_RECORD, ELIGIBILITY_SIGN, ENROL
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db

LIST_MAX = 40
FUNNEL_MAX = 40


def _population(team, site, docs, n: int) -> None:
    """n children at mixed stages: every one consented, some eligible and enrolled (one kind per stage)."""
    consenter = h.actor(team["investigator"], CONSENT_RECORD, site)
    for i in range(n):
        child = h.screen(team["coordinator"], site, dob=dt.date(2014, 1, 1) + dt.timedelta(days=i),
                         name=f"测试{i}", sequence=i % 500 * 2 + 1)
        services.record_consent(consenter, child, services.ConsentInput(
            kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
            password=PASSWORD)
        services.record_consent(consenter, child, services.ConsentInput(
            kind="assent", document_id=docs["assent"].pk, obtained_at=timezone.now(), method="written"),
            password=PASSWORD)
        if i < 3:
            h.enter(team["coordinator"], child, h.eligible_values())
            services.sign_eligibility(h.actor(team["investigator"], ELIGIBILITY_SIGN, site), child, password=PASSWORD)
            if i < 2:
                services.enrol(h.actor(team["coordinator"], ENROL, site), child,
                               day0=timezone.localdate() + dt.timedelta(days=3))


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("n", [10, 200])
def test_list_and_funnel_queries_do_not_grow(n, team, site, docs, client, django_assert_max_num_queries):
    _population(team, site, docs, n)
    client.force_login(team["coordinator"])
    with django_assert_max_num_queries(LIST_MAX):
        page = client.get(reverse("participant_list"))
    assert page.status_code == 200 and f"{n} participants" in page.content.decode()
    with django_assert_max_num_queries(FUNNEL_MAX):
        funnel = client.get(reverse("funnel"))
    assert funnel.status_code == 200
    with django_assert_max_num_queries(FUNNEL_MAX):
        assert client.get("/api/participants/funnel", HTTP_AUTHORIZATION=_bearer(team["coordinator"])).status_code == 200


def _bearer(user) -> str:
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    return f"Bearer {issue_token(Actor.system('test'), user, 't')}"


def test_the_same_number_of_queries_for_10_and_200(team, site, docs, client, monkeypatch):
    _population(team, site, docs, 10)
    client.force_login(team["coordinator"])
    # The session's last activity is written about once a minute (accounts.middleware): record it now and
    # hold the clock, so no page below pays that write and the counts are the pages' own.
    import time

    from celltrial.accounts import middleware

    frozen = time.time()
    monkeypatch.setattr(middleware.time, "time", lambda: frozen)
    client.get(reverse("home"))
    small = (_count(client, reverse("participant_list")), _count(client, reverse("funnel")))
    consenter = h.actor(team["investigator"], CONSENT_RECORD, site)
    for i in range(190):
        child = h.screen(team["coordinator"], site, dob=dt.date(2013, 1, 1) + dt.timedelta(days=i),
                         name=f"加{i}", sequence=i % 400 * 2 + 1)
        services.record_consent(consenter, child, services.ConsentInput(
            kind="guardian", document_id=docs["guardian"].pk, obtained_at=timezone.now(), guardian_slot=1),
            password=PASSWORD)
    # The last page holds the first ten (signed, enrolled) again: the same kinds of rows as before.
    last = client.get(reverse("participant_list"), {"page": 4}).content.decode()
    assert "ASD-01-S0001" in last and "Page 4 of 4" in last
    large = (_count(client, reverse("participant_list") + "?page=4"), _count(client, reverse("funnel")))
    assert large == small
