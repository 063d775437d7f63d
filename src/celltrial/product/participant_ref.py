"""The minimal participant reference the product room allocates a unit to.

The participants room owns participants (screening, consent, enrolment, the pseudonymous subject ID);
until it offers an interface, an allocation names the participant by subject ID (celltrial's subject
format, ``SSS-NN-NNNN-C``, check character verified) at a site, and the pharmacist enters the dose
inputs (dose level, weight on the protocol's weight-basis day and its date). This module is the one
place that knows that: when the participants room declares its interface, :func:`check_subject` becomes
a lookup through it (enrolled, at that site, assigned dose level, weight on the basis day).
"""

from __future__ import annotations

from celltrial.core.errors import ValidationFailed
from celltrial.identifiers.formats import IdentifierError, IdentifierKind, parse_identifier


def normalise_subject_id(text: str, *, field: str = "subject_id") -> str:
    """The subject ID as printed (upper case, stripped), or ValidationFailed naming the field."""
    try:
        return str(parse_identifier(text, IdentifierKind.SUBJECT))
    except IdentifierError as exc:
        raise ValidationFailed({field: [str(exc)]}) from None


def check_subject(subject_id: str, site_code: str) -> str:
    """Whether ``subject_id`` may receive a unit at ``site_code``: today, a well-formed subject ID."""
    return normalise_subject_id(subject_id)
