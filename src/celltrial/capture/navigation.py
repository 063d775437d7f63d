"""The capture room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.capture.permissions import CAPTURE_VIEW
from celltrial.core.rooms import NavEntry

ENTRIES = [
    NavEntry("capture", _("Forms"), CAPTURE_VIEW, _("Visit forms from the data dictionary, instruments scored on "
                                                    "entry, guardian questionnaires."), order=25, key="capture",
             favourite_of=(Role.COORDINATOR, Role.RATER)),
]
