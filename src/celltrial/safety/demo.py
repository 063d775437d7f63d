"""Demo safety data (`celltrial init --demo`), after the participants, product and labs demos.

- RSI v1.0 (IB v1.0 §7): fever and infusion-related reaction up to grade 2 are expected;
- every dosed child: a grade 1–2 infusion-related reaction on Day 0 and a grade 1 fever on Day 1;
- one SAE: pneumonia with hospitalisation, possibly related, unexpected → its 24-h notice met and its
  15-day SUSAR clock running;
- the dosed child whose ALT the labs demo raised to grade 3 for 9 days (found through
  ``labs.interface.abnormal_labs``): an ALT-increased AE, proposed as DLT-LAB-G3-7D, decided by the
  investigator and confirmed by the medical monitor.

Idempotent: nothing is added once the RSI version exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.utils import timezone

from celltrial.accounts import permissions
from celltrial.labs import interface as labs
from celltrial.participants import interface as participants
from celltrial.safety import services
from celltrial.safety.models import Obligation, RsiVersion
from celltrial.safety.permissions import (
    AE_ASSESS,
    AE_ENTER,
    DLT_CONFIRM,
    DLT_DECIDE,
    RSI_MANAGE,
    SITE_REPORT,
    SPONSOR_ASSESS,
)

RSI_VERSION = "1.0"


def load_safety_demo(out: Callable[[str], None] = print, *, password: str) -> None:
    from celltrial.accounts.models import User

    if RsiVersion.objects.filter(rsi_version=RSI_VERSION).exists():
        return
    users = {u.username: u for u in User.objects.filter(username__in=["investigator", "coordinator", "medmonitor"])}
    if len(users) < 3:
        out("safety demo: the demo users are missing; skipped")
        return
    mm, inv, crc = users["medmonitor"], users["investigator"], users["coordinator"]
    services.add_rsi_version(permissions.actor_for(mm, RSI_MANAGE, ""), version=RSI_VERSION,
                             effective_from=dt.date(2024, 1, 1), document="Investigator's Brochure v1.0 §7",
                             expected={"fever": 2, "infusion_related_reaction": 2})
    dosed = [p for p in participants.dosed_participants() if p.site_id is not None]
    if not dosed:
        out("safety demo: no dosed participant; RSI only")
        return
    for i, child in enumerate(dosed):
        dosing = participants.dosing(child)
        assert dosing is not None
        site = child.site.code
        day0 = dosing.dosed_on
        irr = services.report_ae(permissions.actor_for(crc, AE_ENTER, site), child,
                                 verbatim="Flushing and chills during the infusion", onset=day0.isoformat(),
                                 ctcae_term="infusion_related_reaction",
                                 findings=["interruption_needed", "responded_promptly"] if i % 2 == 0
                                 else ["mild_transient"],
                                 action_taken="interrupted" if i % 2 == 0 else "none", outcome="recovered",
                                 resolved=day0.isoformat())
        services.assess_ae(permissions.actor_for(inv, AE_ASSESS, site), irr, grade=irr.grade_suggested or 1,
                           seriousness=[], causality_investigator="probably", expected_version=irr.version,
                           reason="investigator review of the infusion record")
        today = services.site_today(child.site)
        services.report_ae(permissions.actor_for(inv, AE_ASSESS, site), child, verbatim="Fever 38.4 °C",
                           onset=min(day0 + dt.timedelta(days=1), today).isoformat(), ctcae_term="fever", grade=1,
                           causality_investigator="possibly", outcome="recovered",
                           resolved=min(day0 + dt.timedelta(days=2), today).isoformat())
    _sae(dosed[-1], inv, mm, password)
    _alt_dlt(dosed, inv, mm, password, out)
    out(f"safety demo: RSI {RSI_VERSION}, AEs for {len(dosed)} dosed children, one SUSAR clock, one DLT")


def _sae(child: object, inv: object, mm: object, password: str) -> None:
    site = child.site.code  # type: ignore[attr-defined]
    onset = services.site_today(child.site) - dt.timedelta(days=3)  # type: ignore[attr-defined]
    aware = timezone.now() - dt.timedelta(days=2, hours=3)
    sae = services.report_ae(permissions.actor_for(inv, AE_ASSESS, site), child, verbatim="Pneumonia",
                             onset=onset.isoformat(), grade=3, seriousness=["hospitalisation"],
                             causality_investigator="possibly", site_aware_at=aware, aesi=["infection"],
                             outcome="recovering", action_taken="not_applicable",
                             narrative="Fever and cough from Day 3 after the infusion; admitted for IV antibiotics. "
                                       "Chest X-ray: right lower lobe consolidation.")
    sae = services.sponsor_assess(permissions.actor_for(mm, SPONSOR_ASSESS, site), sae, causality_sponsor="possibly",
                                  sponsor_aware_on=(aware + dt.timedelta(hours=4)).astimezone(services.sponsor_zone()).date(),
                                  expected_version=sae.version, reason="sponsor PV review")
    notice = Obligation.objects.get(ae=sae, kind="site_notice")
    services.record_submission(permissions.actor_for(inv, SITE_REPORT, site), notice,
                               submitted_at=aware + dt.timedelta(hours=4), recipient="Sponsor PV",
                               reference="SAE-DEMO-0001")


def _alt_dlt(dosed: list, inv: object, mm: object, password: str, out: Callable[[str], None]) -> None:
    high = [p for p in labs.abnormal_labs(dosed) if p.analyte == "ALT" and (p.grade or 0) >= 3]
    if not high:
        out("safety demo: no grade 3 ALT in the labs demo; the DLT example is skipped")
        return
    first = high[0]
    child = next(p for p in dosed if p.pk == first.participant_id)
    site = child.site.code
    ae = services.report_ae(permissions.actor_for(inv, AE_ASSESS, site), child, verbatim="ALT increased",
                            onset=first.collected_at.date().isoformat(), ctcae_term="alt", grade=3,
                            causality_investigator="possibly", outcome="recovered",
                            narrative="ALT above 5 × ULN on the D7 and D14 draws; normal at the repeat draw.")
    state = services.dlt_state(child)
    adjudication = state.adjudication
    if adjudication is None:
        return
    proposed = sorted({p["criterion"] for p in adjudication.proposals if p["standing"] == "proposed"
                       and p["criterion"] == "DLT-LAB-G3-7D"})
    if not proposed:
        out("safety demo: the ALT series was not proposed as a DLT; left for the investigator")
        return
    decided = services.decide_dlt(permissions.actor_for(inv, DLT_DECIDE, site), adjudication, decision="dlt",
                                  criteria_met=proposed, dlt_aes=[ae.number], password=password,
                                  comment="Grade 3 ALT for more than 7 days, possibly related.")
    services.confirm_dlt(permissions.actor_for(mm, DLT_CONFIRM, site), decided, password=password,
                         comment="Agree: DLT.")
