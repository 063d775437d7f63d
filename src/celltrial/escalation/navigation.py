"""The escalation room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.escalation.permissions import ESCALATION_VIEW

ENTRIES = [
    NavEntry("escalation", _("Dose escalation"), ESCALATION_VIEW,
             _("Cohorts, DLT windows, the design's recommendation and the SRC decisions."), order=40,
             key="escalation", favourite_of=(Role.SRC_MEMBER, Role.INVESTIGATOR, Role.BIOSTATISTICIAN,
                                             Role.MEDICAL_MONITOR)),
    NavEntry("escalation_history", _("Escalation history"), ESCALATION_VIEW,
             _("Dose level by participant in dosing order, DLTs marked."), menu=False, order=41,
             key="escalation-history"),
]
