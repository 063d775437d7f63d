"""Building blocks of the labs tests: a consented, enrolled and dosed child at a site (through the
participants services), the shipped ILLUSTRATIVE reference ranges loaded, and a lab user of each kind."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import PASSWORD

SHIPPED_RANGES = "paediatric-illustrative-v1.yaml"


def dosed_child(site: Any, *, sequence: int = 961, dosed_days_ago: int = 30, consent: bool = True,
                dose: bool = True, dob: dt.date = dt.date(2016, 4, 4), sex: str = "1") -> Any:
    """A child (born on ``dob``, sex ``sex`` in the identity vault: 1 male, 2 female) screened, consented
    (unless ``consent=False``), eligible, enrolled and (unless ``dose=False``) dosed ``dosed_days_ago`` (the
    escalation room's sentinel rule spaces a cohort's first two doses 14 days)."""
    from django.utils import timezone

    from celltrial.accounts.services import create_user
    from celltrial.core.actor import Actor
    from celltrial.participants import services
    from tests.participants import helpers as h

    system = Actor.system("test")
    today = timezone.localdate()
    screened = today - dt.timedelta(days=dosed_days_ago + 10)
    child = services.screen_child(system, site_code=site.code, screened_on=screened,
                                  identity=h.identity(dob, sequence=sequence, name="测试儿童", sex=sex,
                                                      phone=f"139{sequence:08d}"))
    if not consent:
        return child
    investigator = create_user(system, username=f"inv_labs_{sequence}", password=PASSWORD,
                               full_name="Labs Investigator", memberships=[(site, "investigator", True)])
    docs = h.add_documents(site, valid_from=screened - dt.timedelta(days=30), version=f"1.{sequence}")
    h.consent(investigator, child, docs, password=PASSWORD,
              obtained_at=timezone.now() - dt.timedelta(days=dosed_days_ago + 9))
    screening = h.eligible_values()
    if sex == "2":  # the demographics form as a girl's record reads (menarche asked of girls only)
        screening["demographics"] = {"sex": "2", "ethnicity": "1", "menarche": "0"}
    for form, values in screening.items():
        services.save_form(system, child, visit="SCR", form=form, values=values)
    services.sign_eligibility(h.actor(investigator, "participant.eligibility.sign", site), child, password=PASSWORD)
    day0 = today - dt.timedelta(days=dosed_days_ago)
    enrolled = services.enrol(system, child, day0=day0)
    if not dose:
        return enrolled
    return services.record_dosing(system, enrolled, dosed_on=day0)


def load_shipped_ranges(site: Any) -> Any:
    from celltrial.core.actor import Actor
    from celltrial.labs import services
    from celltrial.labs.demo import RANGES_FILE

    return services.load_reference_ranges(Actor.system("test"), site_code=site.code,
                                          content=RANGES_FILE.read_bytes(), name=RANGES_FILE.name)


def draw(days_ago: float, hour: int = 8) -> dt.datetime:
    from django.utils import timezone

    return (timezone.now() - dt.timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0, microsecond=0)
