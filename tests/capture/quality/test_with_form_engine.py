"""Data quality seen through the form engine's own save (capture.services.save_form): the gate refuses
entry under a hold naming the level, edit checks raise and close queries, SDV flags the changed fields."""

from __future__ import annotations

import datetime as dt

import pytest

from celltrial.capture.quality import services
from celltrial.capture.quality.models import Query, SdvMark
from celltrial.capture.quality.permissions import LOCK_MANAGE, SDV_MARK
from celltrial.core.errors import ValidationFailed
from tests.capture.quality.conftest import act
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolled(checked_protocol, site, make_user):
    from django.utils import timezone

    from celltrial.participants import services as participants
    from tests.participants import helpers as h

    inv, crc = make_user("e_inv", "investigator", pii=True), make_user("e_crc", "coordinator", pii=True)
    docs = h.add_documents(site)
    child = h.screen(crc, site, screened_on=timezone.localdate() - dt.timedelta(days=3))
    h.consent(inv, child, docs, password=PASSWORD)
    h.enter(crc, child, h.eligible_values())
    participants.sign_eligibility(h.actor(inv, "participant.eligibility.sign", site), child, password=PASSWORD)
    child = participants.enrol(h.actor(crc, "participant.enrol", site), child,
                               day0=timezone.localdate() + dt.timedelta(days=7))
    return child, crc


def _vitals(**changes):
    from django.utils import timezone

    return {"vs_date": timezone.localdate().isoformat(), "weight_kg": "25.0", "height_cm": "120.0",
            "temp_c": "36.6", "hr": "90", "rr": "20", "sbp": "100", "dbp": "65", "vs_abnormal": "0", **changes}


def _save(child, crc, values, reason=""):
    from celltrial.accounts import permissions
    from celltrial.capture.services import save_form

    actor = permissions.actor_for(crc, "capture.form.enter", child.site.code)
    return save_form(actor, child, visit="BL", form="vitals", values=values, reason=reason)


def test_edit_check_through_the_engine(enrolled):
    child, crc = enrolled
    _save(child, crc, _vitals(dbp="105"))
    (q,) = Query.objects.filter(participant_pk=child.pk, check_id="EC_BP")
    assert (q.status, q.visit, q.form, q.field) == ("open", "BL", "vitals", "dbp")
    _save(child, crc, _vitals(dbp="65"), reason="transcription error")
    q.refresh_from_db()
    assert (q.status, q.auto_closed) == ("closed", True)


def test_a_frozen_visit_refuses_the_save_and_names_the_level(enrolled, team):
    child, crc = enrolled
    _save(child, crc, _vitals())
    services.place_hold(act(team["data_manager"], LOCK_MANAGE, child.site), services.HoldScope("visit", child, "BL"),
                        kind="freeze", reason="Baseline cleaned.")
    with pytest.raises(ValidationFailed) as refused:
        _save(child, crc, _vitals(hr="92"), reason="late correction")
    assert "Frozen at the visit level" in str(refused.value)


def test_sdv_flag_through_the_engine(enrolled, team):
    child, crc = enrolled
    _save(child, crc, _vitals())
    services.mark_sdv(act(team["monitor"], SDV_MARK, child.site), child, visit="BL", form="vitals")
    _save(child, crc, _vitals(hr="95"), reason="source says 95")
    assert SdvMark.objects.get(participant_pk=child.pk).changed_fields == ["hr"]
