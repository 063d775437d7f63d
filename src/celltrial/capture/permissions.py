"""What each role may do in the capture room (deny by default).

- Coordinators, investigators and raters enter visit forms (raters their instruments; the room does
  not split forms by role, the delegation log does).
- Coordinators and investigators issue the guardian's one-time questionnaire links.
- Reading forms: the site team, raters, monitors, data managers, the medical monitor and auditors.
A guardian has no account: the one-time link is the permission, checked by the service.
"""

from __future__ import annotations

from celltrial.accounts.roles import Role

CAPTURE_VIEW = "capture.view"
FORM_ENTER = "capture.form.enter"
GUARDIAN_LINK = "capture.guardian_link.issue"

SITE_TEAM = frozenset({Role.INVESTIGATOR, Role.COORDINATOR})
READERS = frozenset({Role.INVESTIGATOR, Role.COORDINATOR, Role.RATER, Role.DATA_MANAGER, Role.MONITOR,
                     Role.MEDICAL_MONITOR, Role.AUDITOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    CAPTURE_VIEW: READERS,
    FORM_ENTER: SITE_TEAM | {Role.RATER},
    GUARDIAN_LINK: SITE_TEAM,
}
