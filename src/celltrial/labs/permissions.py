"""What each role may do in the labs room (deny by default). Lab results and vitals are site-scoped."""

from __future__ import annotations

from celltrial.accounts.roles import Role

LAB_VIEW = "labs.view"
LAB_ENTER = "labs.enter"
RANGES_MANAGE = "labs.ranges.manage"

READERS = frozenset({Role.INVESTIGATOR, Role.COORDINATOR, Role.PHARMACIST, Role.DATA_MANAGER, Role.MONITOR,
                     Role.MEDICAL_MONITOR, Role.AUDITOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    LAB_VIEW: READERS,
    # The site team enters results and infusion-day vitals and corrects them with a reason.
    LAB_ENTER: frozenset({Role.INVESTIGATOR, Role.COORDINATOR}),
    # A site laboratory's reference ranges: loaded by the data manager or the site's investigator.
    RANGES_MANAGE: frozenset({Role.DATA_MANAGER, Role.INVESTIGATOR}),
}
