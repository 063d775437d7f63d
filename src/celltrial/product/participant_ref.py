"""The participant a unit is allocated to, looked up through the participants room's interface.

An allocation names the participant by subject ID (celltrial's subject format, ``SSS-NN-NNNN-C``, check
character verified) at the unit's site. :func:`check_subject` asks ``participants.interface.allocation_subject``
whether that child may receive a unit there, and takes the dose inputs from the record: the dose level
assigned at enrolment (its cells/kg from the protocol) and the weight entered on the protocol's
weight-basis visit, with its date. The pharmacist types neither.
"""

from __future__ import annotations

from typing import Any

from celltrial.core.errors import ValidationFailed
from celltrial.identifiers.formats import IdentifierError, IdentifierKind, parse_identifier
from celltrial.participants import interface as participants


def normalise_subject_id(text: str, *, field: str = "subject_id") -> str:
    """The subject ID as printed (upper case, stripped), or ValidationFailed naming the field."""
    try:
        return str(parse_identifier(text, IdentifierKind.SUBJECT))
    except IdentifierError as exc:
        raise ValidationFailed({field: [str(exc)]}) from None


def check_subject(subject_id: str, site_code: str) -> Any:
    """The participants room's :class:`AllocationSubject` for a well-formed subject ID at ``site_code``,
    or ValidationFailed with the reason it may not receive a unit (not enrolled, other site, withdrawn,
    already dosed, no weight on the basis day)."""
    subject = participants.allocation_subject(normalise_subject_id(subject_id), site_code)
    if not subject.allowed:
        raise ValidationFailed({"subject_id": [subject.refusal]})
    return subject
