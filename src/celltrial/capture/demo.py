"""Demo forms for the enrolled demo children: Baseline vitals (with the Day −1 weight the dose is computed
from), CGI-S and the ABC scored; for the dosed children Day 28 and Week 12 ABC and CGI-I with scores
improving a little; and one guardian ABC link (Week 24) pending. Idempotent: a form already entered and a
link already issued are left as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps import apps

from celltrial.accounts import permissions
from celltrial.accounts.models import User
from celltrial.capture import services
from celltrial.capture.models import GuardianLink
from celltrial.core.errors import InputError

IRRITABILITY = (2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57)


def _abc(irritability: int, other: int, seed: int) -> dict[str, str]:
    """A plausible 58-item ABC: irritability items around ``irritability``, the others around ``other``."""
    values = {}
    for n in range(1, 59):
        base = irritability if n in IRRITABILITY else other
        wobble = ((n * 7 + seed) % 3) - 1
        values[f"abc_{n:02d}"] = str(max(0, min(3, base + (wobble if n % 4 == 0 else 0))))
    return values


def _vitals(weight: str, day: str) -> dict[str, str]:
    return {"vs_date": day, "weight_kg": weight, "height_cm": "128.0", "temp_c": "36.5", "hr": "92", "rr": "20",
            "sbp": "102", "dbp": "64", "spo2": "99", "vs_abnormal": "0"}


def load_capture_demo(out: Callable[[str], None] = print) -> None:
    participant_model: Any = apps.get_model("participants", "Participant")
    coordinator = User.objects.filter(username="coordinator").first()
    rater = User.objects.filter(username="rater").first()
    if coordinator is None or rater is None:
        return
    children = list(participant_model.objects.filter(status="enrolled").select_related("site").order_by("subject_id"))
    saved = 0
    for i, child in enumerate(children):
        crc = permissions.actor_for(coordinator, "capture.form.enter", child.site.code)
        rat = permissions.actor_for(rater, "capture.form.enter", child.site.code)
        today = services.site_today(child.site.code).isoformat()
        plan: list[tuple[Any, str, str, dict[str, str]]] = [
            (crc, "BL", "vitals", _vitals(f"{24.5 + i:.1f}", today)),
            (rat, "BL", "cgi_s", {"cgis_score": "5"}),
            (rat, "BL", "abc", _abc(2, 1, i)),
        ]
        if child.dosed_on is not None:
            plan += [(rat, "D28", "abc", _abc(2 if i % 2 else 1, 1, i + 1)), (rat, "D28", "cgi_i", {"cgii_score": "3"}),
                     (rat, "W12", "abc", _abc(1, 1, i + 2)), (rat, "W12", "cgi_i", {"cgii_score": "2"})]
        for actor, visit, form, values in plan:
            if services.record(child, visit, form) is not None:
                continue
            try:
                services.save_form(actor, child, visit=visit, form=form, values=values)
                saved += 1
            except InputError as exc:
                out(f"capture demo: {child.subject_id} {visit} {form} not entered: {exc}")
                break
    if children and not GuardianLink.objects.exists():
        child = children[0]
        actor = permissions.actor_for(coordinator, "capture.guardian_link.issue", child.site.code)
        try:
            issued = services.issue_guardian_link(actor, child, visit="W24", form="abc")
        except InputError as exc:
            out(f"capture demo: no guardian link: {exc}")
        else:
            out(f"capture demo: guardian link for {child.subject_id} ABC at W24: /capture/q/{issued.token}/")
    out(f"capture demo: {saved} forms entered for {len(children)} enrolled children")
