"""The study room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.study.permissions import PROTOCOL_VIEW, SITE_APPROVE, SITE_VIEW

ENTRIES = [
    NavEntry("protocol", _("Protocol"), PROTOCOL_VIEW, tile=False, order=10),
    NavEntry("sites", _("Sites"), SITE_VIEW, _("Sites, principal investigators and time zones."), order=20,
             key="sites"),
    NavEntry("protocol", _("Schedule of activities"), PROTOCOL_VIEW, _("Visits, windows and the forms at each visit."),
             anchor="#schedule", menu=False, key="schedule", order=11,
             favourite_of=(Role.COORDINATOR, Role.DATA_MANAGER)),
    NavEntry("protocol", _("Eligibility criteria"), PROTOCOL_VIEW, _("Inclusion and exclusion criteria with their logic."),
             anchor="#eligibility", menu=False, key="eligibility", order=12,
             favourite_of=(Role.COORDINATOR, Role.INVESTIGATOR)),
    NavEntry("sites", _("Approve site activation"), SITE_APPROVE, _("Review a site and sign its activation."),
             menu=False, key="approve-site", order=13, favourite_of=(Role.INVESTIGATOR, Role.QA)),
]
