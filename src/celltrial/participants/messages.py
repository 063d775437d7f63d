"""The words for the pure rules' codes, in the reader's language (the rules themselves stay Django-free)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

REFUSALS = {
    "consent_missing": gettext_lazy("Data entry is refused until valid consent exists: the guardian consent "
                                    "the protocol requires and, for a child of assent age, the child's assent."),
    "paused": gettext_lazy("Procedures are paused: the child dissented. An investigator must resolve the "
                           "dissent before anything else is done."),
    "withdrawn_all": gettext_lazy("The participant is withdrawn from all data collection."),
    "withdrawn_visits": gettext_lazy("The participant is withdrawn from study visits: no visit data is collected."),
    "reconsent_due": gettext_lazy("Re-consent is due: a newer consent or assent form was approved (or the child "
                                  "reached the assent age). Entry after the visit at which it is due is refused "
                                  "until it is given."),
}

CONSENT_PROBLEMS = {
    "guardian_consent_missing": gettext_lazy("Guardian consent is not complete."),
    "guardian_evidence_missing": gettext_lazy("A guardian consent has no evidence yet: sign it or upload the "
                                              "signed paper form."),
    "guardian_witness_missing": gettext_lazy("A guardian who cannot read consented without a witness named."),
    "assent_missing": gettext_lazy("The child's assent (or the reason it could not be obtained) is not recorded."),
    "assent_evidence_missing": gettext_lazy("An assent record has no evidence yet: sign it or upload the form."),
    "assent_witness_missing": gettext_lazy("A verbal or pictorial assent needs a witness's name."),
    "assent_declined": gettext_lazy("The child declined: without assent the child does not take part."),
}

ASSENT_STATES = {
    "given": gettext_lazy("assent given"),
    "not_obtainable": gettext_lazy("assent could not be obtained (reason documented)"),
    "not_sought": gettext_lazy("assent not sought (below the protocol's assent age)"),
    "declined": gettext_lazy("child declined"),
    "missing": gettext_lazy("not recorded"),
}

DUE_REASONS = {
    "new_version": gettext_lazy("new version %(version)s approved"),
    "assent_age": gettext_lazy("the child reached the assent age"),
}

OUTCOMES = {
    "met": gettext_lazy("met"),
    "not_met": gettext_lazy("not met"),
    "not_evaluable": gettext_lazy("not evaluable"),
}

DECISIONS = {
    "eligible": gettext_lazy("Eligible"),
    "not_eligible": gettext_lazy("Not eligible"),
    "incomplete": gettext_lazy("Not yet decidable: some criteria are not evaluable"),
}

STANDINGS = {
    "unscheduled": gettext_lazy("awaiting the dosing day"),
    "upcoming": gettext_lazy("upcoming"),
    "open": gettext_lazy("window open"),
    "overdue": gettext_lazy("overdue"),
    "done": gettext_lazy("done"),
    "done_early": gettext_lazy("done early (out of window)"),
    "done_late": gettext_lazy("done late (out of window)"),
    "missed": gettext_lazy("missed"),
    "cancelled": gettext_lazy("cancelled"),
}

STAGES = {
    "prescreened": gettext_lazy("Pre-screened"),
    "screened": gettext_lazy("Screened"),
    "eligible": gettext_lazy("Eligible"),
    "consented": gettext_lazy("Consented"),
    "enrolled": gettext_lazy("Enrolled"),
    "dosed": gettext_lazy("Dosed"),
}

SOURCES = {
    "vault": gettext_lazy("identity vault (date of birth); age at the consent date"),
    "consent": gettext_lazy("consent and assent records"),
}


ID_PROBLEMS = {
    "shape": gettext_lazy("A resident ID number has 17 digits and a check character (0-9 or X)."),
    "date": gettext_lazy("The birth date inside the ID number is not a real date."),
    "check": gettext_lazy("The check character does not match: the number is mistyped."),
    "dob_mismatch": gettext_lazy("The birth date inside the ID number differs from the date of birth."),
    "sex_mismatch": gettext_lazy("The sex digit of the ID number differs from the sex recorded."),
}
