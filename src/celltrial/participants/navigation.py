"""The participants room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.participants.permissions import FUNNEL_VIEW, PARTICIPANT_VIEW, PRESCREEN, SCREEN

ENTRIES = [
    NavEntry("participant_list", _("Participants"), PARTICIPANT_VIEW,
             _("Screening, consent, eligibility, enrolment and each child's visit calendar."), order=30,
             key="participants", favourite_of=(Role.COORDINATOR, Role.INVESTIGATOR)),
    NavEntry("visits_due", _("Visits due"), PARTICIPANT_VIEW, _("Visits due this week and overdue, per site."),
             order=31, key="visits-due", favourite_of=(Role.COORDINATOR,)),
    NavEntry("prescreening_log", _("Pre-screening log"), PRESCREEN,
             _("Referrals before consent: date, source, age band and outcome, with no personal data."),
             menu=False, order=32, key="prescreening", favourite_of=(Role.COORDINATOR,)),
    NavEntry("participant_screen", _("Screen a child"), SCREEN,
             _("Open a screening attempt and record the child's identity in the vault."), menu=False, order=33,
             key="screen", favourite_of=(Role.COORDINATOR,)),
    NavEntry("funnel", _("Screening funnel"), FUNNEL_VIEW,
             _("Pre-screened, screened, eligible, consented, enrolled and dosed, per site."), order=34,
             key="funnel", favourite_of=(Role.INVESTIGATOR, Role.DATA_MANAGER, Role.MONITOR)),
    NavEntry("consent_documents", _("Consent documents"), PARTICIPANT_VIEW,
             _("Approved consent and assent form versions per site and language."), menu=False, order=35,
             key="consent-documents"),
]
