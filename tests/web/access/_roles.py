"""Role groups the rooms' expectations share (DESIGN.md's role table)."""

from __future__ import annotations

from celltrial.accounts.roles import Role

ALL_ROLES = {r.value for r in Role}
EVERYONE_BUT_GUARDIAN = ALL_ROLES - {"guardian"}
AUDIT_READERS = {"auditor", "data_manager", "monitor", "qa", "admin", "investigator"}
SIGNERS = {"qa", "investigator"}
EDITORS = {"admin", "data_manager"}
PRODUCT_READERS = {"qa", "pharmacist", "investigator", "monitor", "auditor", "data_manager", "medical_monitor"}
BEDSIDE = {"pharmacist", "investigator"}
# participants room: a site's children are read by its clinical team, monitors and auditors; the users of the
# matrix hold no PII grant, so the identity vault and consent scans are refused to every role (the grant itself
# is tested in tests/participants/test_vault.py).
PARTICIPANT_READERS = {"investigator", "coordinator", "rater", "pharmacist", "data_manager", "monitor",
                       "medical_monitor", "auditor"}
SITE_TEAM = {"investigator", "coordinator"}
