"""Data quality's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.capture.quality.permissions import LOCK_MANAGE, QUALITY_VIEW
from celltrial.core.rooms import NavEntry

ENTRIES = [
    NavEntry("quality_queries", _("Queries"), QUALITY_VIEW,
             _("Open, answered and closed queries per site, from edit checks and reviewers."), order=50,
             key="queries", favourite_of=(Role.DATA_MANAGER, Role.MONITOR, Role.COORDINATOR)),
    NavEntry("quality_missing", _("Missing forms"), QUALITY_VIEW,
             _("Expected forms of done or past-window visits that have no complete record."), order=51,
             key="missing-forms", favourite_of=(Role.DATA_MANAGER, Role.MONITOR)),
    NavEntry("quality_locks", _("Freeze and lock"), LOCK_MANAGE,
             _("Freeze and lock forms, visits, participants and the database; unlock with a reason."),
             menu=False, order=52, key="locks", favourite_of=(Role.DATA_MANAGER,)),
]
