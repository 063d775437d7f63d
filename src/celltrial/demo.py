"""Demo data for `make run`: one user per role at the first site, and a living trail of activity.

Idempotent: running it twice changes nothing. Each capability adds its own demo records here.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from celltrial.accounts.models import User
from celltrial.accounts.roles import ROLE_LABELS, SPONSOR_ROLES, Role
from celltrial.core.actor import Actor
from celltrial.study.models import Site

DEMO_PASSWORD = "celltrial-demo-2025"

# username, full name, role, may see PII
DEMO_USERS: list[tuple[str, str, Role, bool]] = [
    ("qa", "Li Na", Role.QA, False),
    ("pharmacist", "Zhao Min", Role.PHARMACIST, False),
    ("investigator", "Wang Gang", Role.INVESTIGATOR, True),
    ("coordinator", "Chen Jing", Role.COORDINATOR, True),
    ("rater", "Liu Yang", Role.RATER, False),
    ("guardian", "Zhang Wei", Role.GUARDIAN, False),
    ("medmonitor", "Sun Hui", Role.MEDICAL_MONITOR, False),
    ("src", "Huang Lei", Role.SRC_MEMBER, False),
    ("datamanager", "Zhou Fang", Role.DATA_MANAGER, False),
    ("monitor", "Wu Qiang", Role.MONITOR, False),
    ("statistician", "Xu Li", Role.BIOSTATISTICIAN, False),
    ("auditor", "Ma Jun", Role.AUDITOR, False),
    ("admin", "Hu Yan", Role.ADMIN, False),
]


def load_demo(out: Callable[[str], None] = print) -> None:
    from celltrial.accounts.services import create_user

    site = Site.objects.order_by("code").first()
    if site is None:
        raise RuntimeError("load a protocol before the demo data: it declares the sites")
    system = Actor.system("celltrial demo")
    with transaction.atomic():
        for username, full_name, role, pii in DEMO_USERS:
            if not User.objects.filter(username=username).exists():
                # Sponsor roles hold across the trial; site roles at the demo site.
                holder = None if role in SPONSOR_ROLES else site
                create_user(system, username=username, password=DEMO_PASSWORD, full_name=full_name,
                            memberships=[(holder, role.value, pii)], is_staff=role is Role.ADMIN)
        _approve_site(site)
    from celltrial.participants.demo import load_participants_demo
    load_participants_demo(DEMO_PASSWORD, out)
    # The story keeps the protocol's sentinel rule: the sentinel is observed alone, the SRC signs its review,
    # and only then is the next child dosed; the product room doses the third child at the bedside today.
    from celltrial.escalation.demo import load_escalation_demo
    load_escalation_demo(out, password=DEMO_PASSWORD)
    from celltrial.participants.demo import dose_after_sentinel
    dose_after_sentinel(out)
    from celltrial.product.demo import load_product_demo
    load_product_demo(out, password=DEMO_PASSWORD, dosed=_dosed_subjects())
    from celltrial.labs.demo import load_labs_demo
    load_labs_demo(out)
    from celltrial.capture.demo import load_capture_demo
    load_capture_demo(out)
    from celltrial.safety.demo import load_safety_demo
    load_safety_demo(out, password=DEMO_PASSWORD)
    load_escalation_demo(out, password=DEMO_PASSWORD)  # again: a review the data now allow, if any
    # Data quality reviews what every room above entered: keep it last.
    from celltrial.capture.quality.demo import load_quality_demo
    load_quality_demo(out)
    out(f"demo users (password for all: {DEMO_PASSWORD}):")
    for username, full_name, role, _pii in DEMO_USERS:
        where = "all sites" if role in SPONSOR_ROLES else site.code
        out(f"  {username:<13} {full_name:<11} {ROLE_LABELS[role]} @ {where}")


def _dosed_subjects() -> list[tuple[str, str, float]]:
    """The participants room's dosed demo children (subject ID, dose level, Day -1 weight) for the product demo."""
    from celltrial.participants.models import Participant

    dosed = Participant.objects.filter(dosed_on__isnull=False, subject_id__isnull=False).order_by("subject_id")
    return [(p.subject_id, p.dose_level or "DL1", 25.0) for p in dosed if p.subject_id]


def _approve_site(site: Site) -> None:
    from celltrial.accounts import permissions
    from celltrial.accounts.signatures import signatures_for
    from celltrial.study.permissions import SITE_APPROVE
    from celltrial.study.services import sign_site_activation

    if signatures_for(site):
        return
    qa = User.objects.get(username="qa")
    sign_site_activation(permissions.actor_for(qa, SITE_APPROVE, site.code), site, password=DEMO_PASSWORD,
                         meaning="approved", comment="Site initiation visit completed; site activated.")
