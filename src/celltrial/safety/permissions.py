"""What each role may do in the safety room (deny by default).

- The study coordinator and the investigator enter adverse events and follow-up information at their site;
  only the investigator confirms the CTCAE grade, the seriousness and the investigator's causality, and
  decides (e-signs) the DLT assessment.
- The medical monitor (sponsor pharmacovigilance, trial-wide) records the sponsor's causality and
  awareness, keeps the reference safety information and the MedDRA release, records submissions of the
  regulatory reports and other safety risk information, and confirms (e-signs) each DLT adjudication.
- The site → sponsor notification is recorded by the site (coordinator, investigator) or, as received,
  by the medical monitor.
- Reading: the site team, the medical monitor, monitors, data managers, the SRC and auditors.
"""

from __future__ import annotations

from celltrial.accounts.roles import Role

SAFETY_VIEW = "safety.view"
AE_ENTER = "safety.ae.enter"
AE_ASSESS = "safety.ae.assess"
SPONSOR_ASSESS = "safety.ae.sponsor_assess"
SITE_REPORT = "safety.submission.site"
REGULATORY_REPORT = "safety.submission.regulatory"
RSI_MANAGE = "safety.rsi.manage"
MEDDRA_LOAD = "safety.meddra.load"
OTHER_RISK_RECORD = "safety.other_risk.record"
DLT_DECIDE = "safety.dlt.decide"
DLT_CONFIRM = "safety.dlt.confirm"
NOTICES_VIEW = "safety.notices.view"

PERMISSIONS: dict[str, frozenset[Role]] = {
    SAFETY_VIEW: frozenset({Role.INVESTIGATOR, Role.COORDINATOR, Role.MEDICAL_MONITOR, Role.MONITOR,
                            Role.DATA_MANAGER, Role.SRC_MEMBER, Role.AUDITOR}),
    AE_ENTER: frozenset({Role.COORDINATOR, Role.INVESTIGATOR}),
    AE_ASSESS: frozenset({Role.INVESTIGATOR}),
    SPONSOR_ASSESS: frozenset({Role.MEDICAL_MONITOR}),
    SITE_REPORT: frozenset({Role.COORDINATOR, Role.INVESTIGATOR, Role.MEDICAL_MONITOR}),
    REGULATORY_REPORT: frozenset({Role.MEDICAL_MONITOR}),
    RSI_MANAGE: frozenset({Role.MEDICAL_MONITOR}),
    MEDDRA_LOAD: frozenset({Role.MEDICAL_MONITOR, Role.DATA_MANAGER}),
    OTHER_RISK_RECORD: frozenset({Role.MEDICAL_MONITOR}),
    DLT_DECIDE: frozenset({Role.INVESTIGATOR}),
    DLT_CONFIRM: frozenset({Role.MEDICAL_MONITOR}),
    NOTICES_VIEW: frozenset({Role.INVESTIGATOR, Role.MEDICAL_MONITOR}),
}
