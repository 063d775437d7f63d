"""The demo `make run` loads: children at every stage, fictitious but well-formed vault data, idempotent."""

from __future__ import annotations

import re

import pytest

from celltrial.participants import queries, state
from celltrial.participants.models import ConsentRecord, Identity, Participant, PreScreening
from celltrial.participants.rules import idcard

pytestmark = pytest.mark.django_db


def test_the_demo_has_children_at_every_stage_and_loads_once(protocol):
    from celltrial.accounts.models import User
    from celltrial.demo import load_demo

    lines: list[str] = []
    load_demo(out=lines.append)
    counts = (PreScreening.objects.count(), Participant.objects.count(), ConsentRecord.objects.count())
    load_demo(out=lines.append)
    assert (PreScreening.objects.count(), Participant.objects.count(), ConsentRecord.objects.count()) == counts

    statuses = dict(Participant.objects.values_list("screening_number", "status"))
    assert set(statuses.values()) == {"screening", "screen_failed", "enrolled"}
    failed = {p.screening_number: state.latest_decision(p).failing_criteria
              for p in Participant.objects.filter(status="screen_failed")}
    assert sorted(failed.values()) == [["I02"], ["I05", "E07"]]
    # The sentinel, the child dosed after the SRC's sentinel review, and the child dosed at the bedside today
    # (the product room's demo), all in cohort 1, keeping the protocol's sentinel (14 days) and stagger (7 days).
    dosed = Participant.objects.filter(dosed_on__isnull=False)
    assert dosed.count() == 3 and set(dosed.values_list("cohort", flat=True)) == {1}
    days = sorted(dosed.values_list("dosed_on", flat=True))
    assert (days[1] - days[0]).days >= 14 and (days[2] - days[1]).days >= 7
    assert PreScreening.objects.filter(outcome="not_eligible").exists()

    coordinator = User.objects.get(username="coordinator")
    funnel = dict(queries.funnel(coordinator).overall.as_list())
    assert funnel == {"prescreened": 9, "screened": 9, "eligible": 4, "consented": 4, "enrolled": 3, "dosed": 3}
    stale = [p for p in Participant.objects.all() if (d := state.latest_decision(p)) and d.stale_at]
    assert len(stale) == 1


def test_demo_identities_are_fictitious_and_well_formed(protocol):
    from celltrial.demo import load_demo

    load_demo(out=lambda line: None)
    for identity in Identity.objects.all():
        assert idcard.problems(identity.id_number, dob=identity.dob(), sex=identity.sex) == []
        assert identity.id_number.startswith("110199")  # a division code GB/T 2260 does not assign
        assert 990 <= int(identity.id_number[14:17]) <= 999
        assert re.fullmatch(r"100\d{8}", identity.guardian1_phone)  # no 11-digit Chinese number starts 100
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", identity.full_name)
