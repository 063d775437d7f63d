"""What each role may do in data quality (deny by default; DESIGN.md's role table).

- data managers and monitors (CRAs) raise queries on any field and close or re-open them;
- coordinators and investigators answer them;
- monitors mark forms source-data verified;
- data managers freeze, lock and unlock a form, a visit, a participant or (trial-wide only) the database,
  and run the edit checks in batch;
- the investigator signs the casebook;
- the site team, raters, data managers, monitors, the medical monitor and auditors read.
"""

from __future__ import annotations

from celltrial.accounts.roles import Role

QUALITY_VIEW = "quality.view"
QUERY_RAISE = "quality.query.raise"
QUERY_ANSWER = "quality.query.answer"
QUERY_CLOSE = "quality.query.close"
SDV_MARK = "quality.sdv.mark"
LOCK_MANAGE = "quality.lock.manage"
CHECKS_RUN = "quality.checks.run"
CASEBOOK_SIGN = "quality.casebook.sign"

READERS = frozenset({Role.INVESTIGATOR, Role.COORDINATOR, Role.RATER, Role.DATA_MANAGER, Role.MONITOR,
                     Role.MEDICAL_MONITOR, Role.AUDITOR})
REVIEWERS = frozenset({Role.DATA_MANAGER, Role.MONITOR})
SITE_TEAM = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})

PERMISSIONS: dict[str, frozenset[Role]] = {
    QUALITY_VIEW: READERS,
    QUERY_RAISE: REVIEWERS,
    QUERY_ANSWER: SITE_TEAM,
    QUERY_CLOSE: REVIEWERS,
    SDV_MARK: frozenset({Role.MONITOR}),
    LOCK_MANAGE: frozenset({Role.DATA_MANAGER}),
    CHECKS_RUN: frozenset({Role.DATA_MANAGER}),
    CASEBOOK_SIGN: frozenset({Role.INVESTIGATOR}),
}
