"""What each role may do in the study room (deny by default).

Reading the protocol and the sites is open to every trial role; loading a protocol and editing a
site is for administrators and data managers; signing a site's activation is a sponsor QA or
investigator act.
"""

from __future__ import annotations

from celltrial.accounts.roles import TRIAL_ROLES, Role

PROTOCOL_VIEW = "protocol.view"
PROTOCOL_LOAD = "protocol.load"
SITE_VIEW = "site.view"
SITE_EDIT = "site.edit"
SITE_APPROVE = "site.approve"

PERMISSIONS: dict[str, frozenset[Role]] = {
    PROTOCOL_VIEW: TRIAL_ROLES,
    PROTOCOL_LOAD: frozenset({Role.ADMIN, Role.DATA_MANAGER}),
    SITE_VIEW: TRIAL_ROLES,
    SITE_EDIT: frozenset({Role.ADMIN, Role.DATA_MANAGER}),
    SITE_APPROVE: frozenset({Role.QA, Role.INVESTIGATOR}),
}
