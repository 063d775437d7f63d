"""Demo data of the escalation room (last in ``celltrial.demo``): the SRC's work on the demo trial.

The demo SRC member ``src`` (trial-wide) reviews what the other rooms' demo data allow, in order, and signs:

- the sentinel review of the current cohort, once its sentinel's observation period is over (the default
  protocol requires an SRC decision after the sentinel): a frozen packet and a signed "proceed";
- the dose-escalation review of a cohort whose DLT windows have closed and whose DLT statuses are
  adjudicated: a frozen packet and a signed decision that follows the design's recommendation (so the next
  cohort opens at the dose the design recommends).

The default protocol declares no ``src: quorum:``, so one signature makes a decision take effect and the
demo's single SRC member suffices. Idempotent: a review already decided is not repeated; running twice
changes nothing. It never doses or enrols anyone (that is the participants room's demo).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from celltrial.accounts import permissions
from celltrial.accounts.models import User
from celltrial.core.errors import ValidationFailed
from celltrial.escalation import services
from celltrial.escalation.models import Decision, Packet
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from celltrial.escalation.rules import CohortState
from celltrial.study import interface as study

SENTINEL_NOTE = "Sentinel reviewed at the end of its observation period: no DLT, no safety signal."
COHORT_NOTE = "Cohort reviewed with its frozen packet; the SRC follows the design's recommendation."


def _decide(src: User, password: str, kind: str, choice: str, note: str) -> Decision | None:
    freezer = permissions.actor_for(src, PACKET_FREEZE, "")
    signer = permissions.actor_for(src, DECISION_SIGN, "")
    cohort = services.current_cohort()
    packet = (Packet.objects.filter(cohort=cohort, kind=kind).order_by("-frozen_at", "-id").first()
              if cohort.pk else None)
    if packet is None or Decision.objects.filter(packet=packet, status=Decision.WITHDRAWN).exists():
        packet = services.freeze_packet(freezer, kind=kind)
    decision = Decision.objects.filter(packet=packet).first()
    if decision is None:
        decision = services.propose_decision(signer, packet, choice=choice)
    if decision.status == Decision.PROPOSED:
        services.sign_decision(signer, decision, password=password, comment=note)
        decision.refresh_from_db()
    return decision


def load_escalation_demo(out: Callable[[str], None] = print, *, password: str) -> None:
    if study.protocol_version_in_force() is None:
        return
    src = User.objects.filter(username="src").first()
    if src is None or not permissions.has_perm(src, DECISION_SIGN, ""):
        out("demo escalation: no trial-wide SRC member 'src'; nothing reviewed")
        return
    done: list[str] = []
    for _step in range(12):  # each step closes one review; a trial has only a few
        _n, p = services.protocol()
        view = services.cohort_view(p, services.current_cohort(p))
        today = services.today()
        try:
            if (p.sentinel.src_decision_required and not view.sentinel_decided and view.dosed
                    and view.state is not CohortState.CLOSED and view.dosed[0].dosed_on is not None
                    and today >= view.dosed[0].dosed_on + dt.timedelta(days=p.sentinel.observation_days)
                    and view.dosed[0].dlt != "dlt"):
                _decide(src, password, Packet.SENTINEL, "proceed", SENTINEL_NOTE)
                done.append(f"cohort {view.cohort.number}: sentinel reviewed (proceed)")
                continue
            if view.state is CohortState.AWAITING_DECISION:
                rec = services.recommendation()
                decision = _decide(src, password, Packet.COHORT, rec["choice"] or "stop", COHORT_NOTE)
                done.append(f"cohort {view.cohort.number}: {decision.choice if decision else '?'} "
                            f"{decision.dose_level if decision else ''}".rstrip())
                continue
        except ValidationFailed as exc:
            out(f"demo escalation: stopped at cohort {view.cohort.number}: {exc}")
        break
    view = services.cohort_view(p, services.current_cohort(p))
    summary = "; ".join(done) if done else "nothing new to review"
    out(f"demo escalation: {summary}; current cohort {view.cohort.number} ({view.cohort.dose_level}) is "
        f"{view.state.value.replace('_', ' ')}")
