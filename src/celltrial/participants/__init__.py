"""participants: pre-screening, screening, the identity vault, eligibility, consent and assent,
enrolment and the visit calendar (docs/participants.md)."""
