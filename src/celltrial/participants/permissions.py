"""What each role may do in the participants room (deny by default).

Participants are site-scoped: a site role sees its site's children, a trial-wide role all of them.
Names, dates of birth, ID-card and phone numbers need, on top of these, the membership's PII grant
(``accounts.roles.PII_VIEW``), checked at the participant's site.
"""

from __future__ import annotations

from celltrial.accounts.roles import TRIAL_ROLES, Role

PARTICIPANT_VIEW = "participant.view"
PRESCREEN = "participant.prescreen"
SCREEN = "participant.screen"
IDENTITY_EDIT = "participant.identity.edit"
DATA_ENTER = "participant.data.enter"
ELIGIBILITY_SIGN = "participant.eligibility.sign"
CONSENT_DOCUMENT_MANAGE = "participant.consent_document.manage"
CONSENT_RECORD = "participant.consent.record"
DISSENT_RECORD = "participant.dissent.record"
DISSENT_RESOLVE = "participant.dissent.resolve"
WITHDRAW = "participant.withdraw"
ENROL = "participant.enrol"
SCHEDULE = "participant.schedule"
DOSING_RECORD = "participant.dosing.record"
FUNNEL_VIEW = "participant.funnel.view"

SITE_TEAM = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})
READERS = frozenset({Role.INVESTIGATOR, Role.COORDINATOR, Role.RATER, Role.PHARMACIST, Role.DATA_MANAGER,
                     Role.MONITOR, Role.MEDICAL_MONITOR, Role.AUDITOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    PARTICIPANT_VIEW: READERS,
    PRESCREEN: SITE_TEAM,
    SCREEN: SITE_TEAM,
    IDENTITY_EDIT: SITE_TEAM,
    # Raters enter the screening instruments (CGI-S, CARS2) themselves.
    DATA_ENTER: SITE_TEAM | {Role.RATER},
    ELIGIBILITY_SIGN: frozenset({Role.INVESTIGATOR}),
    CONSENT_DOCUMENT_MANAGE: SITE_TEAM | {Role.DATA_MANAGER},
    CONSENT_RECORD: SITE_TEAM,
    DISSENT_RECORD: SITE_TEAM | {Role.RATER, Role.PHARMACIST},
    DISSENT_RESOLVE: frozenset({Role.INVESTIGATOR}),
    WITHDRAW: SITE_TEAM,
    ENROL: SITE_TEAM,
    SCHEDULE: SITE_TEAM,
    DOSING_RECORD: frozenset({Role.INVESTIGATOR, Role.PHARMACIST}),
    # Counts without names: every trial role.
    FUNNEL_VIEW: TRIAL_ROLES,
}
