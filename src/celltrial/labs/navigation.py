"""The labs room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.labs.permissions import LAB_VIEW

ENTRIES = [
    NavEntry("labs", _("Labs"), LAB_VIEW, _("Lab results by visit, flags, CTCAE grades and infusion-day vitals."),
             order=45, key="labs", favourite_of=(Role.COORDINATOR, Role.MEDICAL_MONITOR)),
    NavEntry("labs_ranges", _("Reference ranges"), LAB_VIEW,
             _("Each site laboratory's age- and sex-specific reference ranges, by version."), menu=False, order=46,
             key="lab_ranges", favourite_of=(Role.DATA_MANAGER,)),
]
