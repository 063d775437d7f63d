"""What each role may do in the escalation room (deny by default).

- Reading the cohort board, the recommendation, the packets, the decisions and the history: the SRC, the
  investigators and coordinators (who enrol and dose into the open cohort), the medical monitor, the
  biostatistician, monitors, auditors and the data manager. The board lists subject IDs only (no
  personal data); every cohort is trial-wide.
- Freezing an SRC packet: an SRC member, the medical monitor or the biostatistician (who prepare the meeting).
- Proposing and signing an SRC decision: SRC members only.
"""

from __future__ import annotations

from celltrial.accounts.roles import Role

ESCALATION_VIEW = "escalation.view"
PACKET_FREEZE = "escalation.packet.freeze"
DECISION_SIGN = "escalation.decision.sign"

READERS = frozenset({Role.SRC_MEMBER, Role.INVESTIGATOR, Role.COORDINATOR, Role.MEDICAL_MONITOR,
                     Role.BIOSTATISTICIAN, Role.MONITOR, Role.AUDITOR, Role.DATA_MANAGER, Role.PHARMACIST})

PERMISSIONS: dict[str, frozenset[Role]] = {
    ESCALATION_VIEW: READERS,
    PACKET_FREEZE: frozenset({Role.SRC_MEMBER, Role.MEDICAL_MONITOR, Role.BIOSTATISTICIAN}),
    DECISION_SIGN: frozenset({Role.SRC_MEMBER}),
}
