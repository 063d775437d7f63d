"""The safety demo (`make run`): infusion reactions and fever for the dosed demo children, one SAE with its 15-day
SUSAR clock running, the labs demo's 9-day grade 3 ALT adjudicated as a DLT and confirmed; idempotent and fast."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_sentinel_rule(monkeypatch):
    """The participants demo doses its second child without the SRC's sentinel decision (see the product demo test)."""
    monkeypatch.setattr("celltrial.participants.services.dosing_refusal", lambda participant, on: None)
    monkeypatch.setattr("celltrial.escalation.interface.dosing_refusal", lambda participant, on: None)


def test_the_safety_demo_tells_its_story_once(protocol, no_sentinel_rule):
    from celltrial.demo import load_demo
    from celltrial.participants.interface import dosed_participants
    from celltrial.safety import interface
    from celltrial.safety.models import AdverseEvent, Obligation

    load_demo(out=lambda _line: None)
    count = AdverseEvent.objects.count()
    started = time.monotonic()
    load_demo(out=lambda _line: None)  # a second run changes nothing
    assert AdverseEvent.objects.count() == count and time.monotonic() - started < 10
    dosed = dosed_participants()
    assert dosed
    for child in dosed:
        terms = set(AdverseEvent.objects.filter(participant=child).values_list("ctcae_term", flat=True))
        assert {"infusion_related_reaction", "fever"} <= terms
        assert all(g in (1, 2) for g in AdverseEvent.objects.filter(
            participant=child, ctcae_term__in=["infusion_related_reaction", "fever"]).values_list("grade", flat=True))
    sae = AdverseEvent.objects.get(verbatim="Pneumonia")
    assert sae.susar and sae.causality_investigator == "possibly" and "hospitalisation" in sae.seriousness
    assert Obligation.objects.get(ae=sae, kind="susar_15").status == "open"
    assert Obligation.objects.get(ae=sae, kind="site_notice").status == "met"
    alt = AdverseEvent.objects.get(ctcae_term="alt")
    status = interface.dlt_status(alt.participant)
    assert (status.status, status.confirmed) == ("dlt", True) and "DLT-LAB-G3-7D" in status.summary
