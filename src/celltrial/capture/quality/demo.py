"""Data-quality demo: a few queries in each state, one form source-data verified, a frozen visit.

Reviews what the rooms before it entered (the dosed demo children and their forms), so it runs after
them. Idempotent: a second run finds its queries and adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEMO_QUERIES = [
    # (visit, form, field, question, answer or None, close note or None)
    ("BL", "vitals", "weight_kg", "Weight 2 kg above the screening weight one day later: please check the source.",
     None, None),
    ("D28", "labs", "alt", "ALT above 3 × ULN: is an adverse event recorded and was the test repeated?",
     "Repeat ALT on Day 30 was 88 U/L; AE 'ALT increased' grade 1 recorded.", None),
    ("SCR", "vitals", "hr", "Heart rate 140 at screening: was the child crying at measurement?",
     "Yes, measured again after 10 minutes: 96, corrected.", "Corrected value agrees with the source."),
]


def load_quality_demo(out: Callable[[str], None] = print) -> None:
    from django.db import transaction

    from celltrial.accounts import permissions
    from celltrial.accounts.models import User
    from celltrial.capture.quality import records, services
    from celltrial.capture.quality.models import Lock, Query, SdvMark
    from celltrial.capture.quality.permissions import (
        LOCK_MANAGE,
        QUERY_ANSWER,
        QUERY_CLOSE,
        QUERY_RAISE,
        SDV_MARK,
    )
    from celltrial.participants.interface import dosed_participants

    children = dosed_participants()
    users = {u.username: u for u in User.objects.filter(username__in=("monitor", "coordinator", "datamanager"))}
    if not children or len(users) < 3:
        out("quality demo: no dosed demo participant or demo reviewers; skipped")
        return
    child: Any = children[0]
    code = child.site.code

    def actor(name: str, permission: str) -> Any:
        return permissions.actor_for(users[name], permission, code)

    made = 0
    with transaction.atomic():
        for visit, form, field, question, answer, note in DEMO_QUERIES:
            if Query.objects.filter(participant_pk=child.pk, text=question).exists():
                continue
            q = services.raise_query(actor("monitor", QUERY_RAISE),
                                     services.Target(child, visit, form, field=field), text=question)
            if answer:
                q = services.answer_query(actor("coordinator", QUERY_ANSWER), q, answer=answer)
            if note:
                services.close_query(actor("monitor", QUERY_CLOSE), q, note=note)
            made += 1
        verified = 0
        present = sorted(records.of_participant(child.pk), key=lambda r: (r.visit != "BL", r.visit, r.form))
        if present and not SdvMark.objects.filter(participant_pk=child.pk).exists():
            first = present[0]
            services.mark_sdv(actor("monitor", SDV_MARK), child, visit=first.visit, form=first.form,
                              repeat=first.repeat)
            verified = 1
        frozen = 0
        if not Lock.objects.filter(participant_pk=child.pk, level="visit", visit="SCR").exists():
            services.place_hold(actor("datamanager", LOCK_MANAGE), services.HoldScope("visit", child, "SCR"),
                                kind="freeze", reason="Screening data cleaned and reviewed for the SRC packet.")
            frozen = 1
    out(f"quality demo: {made} queries, {verified} form SDV'd, {frozen} visit frozen (subject {child.subject_id})")
