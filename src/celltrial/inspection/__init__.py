"""The inspection room: the read-only view of the audit trail and its verification, for auditors,
inspectors, monitors and data managers (the audit trail itself lives in :mod:`celltrial.audit`)."""
