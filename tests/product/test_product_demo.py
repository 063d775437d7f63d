"""The product demo (`make run`): two donors (one ineligible), a released lot with its CoA, units in stock,
units administered to the dosed demo participants, a temperature excursion on one shipment; idempotent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_demo_tells_the_whole_story_once(protocol):
    from celltrial.demo import _dosed_subjects, load_demo
    from celltrial.product.models import Administration, Donor, Lot, Shipment, Unit
    from celltrial.product.services import release_is_current

    load_demo(out=lambda _line: None)
    load_demo(out=lambda _line: None)  # a second run changes nothing
    assert sorted(Donor.objects.values_list("eligibility", flat=True)) == ["eligible", "ineligible"]
    lot = Lot.objects.get()
    assert lot.status == "released" and release_is_current(lot.releases.get())
    assert Unit.objects.filter(state="stored", site__isnull=True).count() == 2  # stock at the manufacturer
    assert Unit.objects.filter(state="stored", site__isnull=False).count() == 2  # stock at the site
    dosed = [subject for subject, _level, _kg in _dosed_subjects()][:2]
    assert dosed, "the participants room's demo has dosed children"
    given = sorted(Administration.objects.values_list("allocation__subject_id", flat=True))
    assert given == sorted(dosed)
    assert sorted(Shipment.objects.values_list("has_excursion", flat=True)) == [False, True]
