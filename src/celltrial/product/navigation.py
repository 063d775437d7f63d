"""The product room's pages in the menu and on the home tiles."""

from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import Role
from celltrial.core.rooms import NavEntry
from celltrial.product.permissions import (
    BEDSIDE,
    DONOR_MANAGE,
    NOTIFICATIONS_VIEW,
    PRODUCT_VIEW,
    RECALL_START,
)

ENTRIES = [
    NavEntry("product", _("Product"), PRODUCT_VIEW, _("Lots, units in stock and their custody ledgers."), order=30,
             key="product", favourite_of=(Role.QA, Role.PHARMACIST)),
    NavEntry("product_donors", _("Donors"), DONOR_MANAGE, _("Donors, eligibility and infectious-disease markers."),
             menu=False, order=31, key="donors", favourite_of=(Role.QA,)),
    NavEntry("product_bedside", _("Bedside check"), BEDSIDE,
             _("Scan the unit and the wristband, then record the administration."), order=32, key="bedside",
             favourite_of=(Role.PHARMACIST, Role.INVESTIGATOR)),
    NavEntry("product_recalls", _("Recalls"), RECALL_START, _("Start a recall and see every unit and participant reached."),
             menu=False, order=33, key="recalls", favourite_of=(Role.QA,)),
    NavEntry("product_notifications", _("Notifications"), NOTIFICATIONS_VIEW, _("Recall notices for your site."),
             menu=False, order=34, key="notifications", favourite_of=(Role.INVESTIGATOR,)),
]
