"""Building blocks of the escalation room's tests and browser journey: children enrolled and dosed through the
participants room's services, and Django's clock moved forward by whole days."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from tests.conftest import PASSWORD

_seq = itertools.count(1)


class Trial:
    def __init__(self, make_user, site, docs):
        self.site = site
        self.docs = docs
        self.inv = make_user("inv", "investigator", pii=True)  # also records dosing (participant.dosing.record)
        self.crc = make_user("crc", "coordinator", pii=True)
        self.pharmacist = make_user("ph", "pharmacist")

    def actor(self, user, permission):
        from celltrial.accounts import permissions

        return permissions.actor_for(user, permission, self.site.code)

    def enrol(self, *, screened_ago: int = 200, day0: dt.date | None = None):
        from celltrial.participants import services
        from celltrial.participants.permissions import ENROL
        from tests.participants import helpers as h

        n = next(_seq)
        child = h.screen(self.crc, self.site, screened_on=timezone.localdate() - dt.timedelta(days=screened_ago),
                         sequence=101 + 2 * n, name=f"测试儿童{n}")
        h.consent(self.inv, child, self.docs, password=PASSWORD)
        h.enter(self.crc, child, h.eligible_values())
        services.sign_eligibility(h.actor(self.inv, "participant.eligibility.sign", self.site), child,
                                  password=PASSWORD)
        return services.enrol(self.actor(self.crc, ENROL), child, day0=day0)

    def dose(self, subject, on: dt.date):
        """Record the dosing through the participants room, after asking this room's interface (as the
        participants room's record_dosing does once it calls dosing_refusal)."""
        from celltrial.core.errors import ValidationFailed
        from celltrial.escalation.interface import dosing_refusal
        from celltrial.participants import services
        from celltrial.participants.permissions import DOSING_RECORD

        refusal = dosing_refusal(subject, on)
        if refusal is not None:
            raise ValidationFailed(refusal.reason)
        return services.record_dosing(self.actor(self.pharmacist, DOSING_RECORD), subject, dosed_on=on)


class Clock:
    """Django's clock moved forward by whole days (every service reads ``timezone.now``)."""

    def __init__(self, monkeypatch):
        from django.utils import timezone as tz

        self._real = tz.now
        self.offset = dt.timedelta(0)
        monkeypatch.setattr(tz, "now", lambda: self._real() + self.offset)

    def forward(self, days: int) -> dt.date:
        self.offset += dt.timedelta(days=days)
        return self.today()

    def today(self) -> dt.date:
        from celltrial.escalation.services import today

        return today()
