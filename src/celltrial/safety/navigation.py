"""The safety room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.safety.permissions import NOTICES_VIEW, SAFETY_VIEW

ENTRIES = [
    NavEntry("safety", _("Safety"), SAFETY_VIEW,
             _("Adverse events, reporting clocks, DLT adjudication and the swimmer plot."), order=40,
             key="safety", favourite_of=(Role.INVESTIGATOR, Role.MEDICAL_MONITOR, Role.COORDINATOR)),
    NavEntry("safety_notices", _("Safety notices"), NOTICES_VIEW, _("Reporting clocks that need you."),
             menu=False, order=41, key="safety_notices", favourite_of=(Role.MEDICAL_MONITOR,)),
]
