"""Stored English words the product pages translate where shown (makemessages finds them here).

Statuses come from the pure rules (eligibility criteria, release tests) and from stored records
(custody events, lot and release statuses, bedside outcomes); they are stored in English, like every
stored label, and translated in the templates with ``{% translate value %}``.
"""

from django.utils.translation import gettext_noop

WORDS = [
    gettext_noop("met"), gettext_noop("not met"), gettext_noop("missing"), gettext_noop("recorded"),
    gettext_noop("pass"), gettext_noop("fail"), gettext_noop("not tested"), gettext_noop("pending"),
    gettext_noop("eligible"), gettext_noop("ineligible"), gettext_noop("incomplete"),
    gettext_noop("in_qc"), gettext_noop("released"), gettext_noop("conditional"), gettext_noop("rejected"),
    gettext_noop("recalled"), gettext_noop("closed"), gettext_noop("void"),
    gettext_noop("match"), gettext_noop("refused"),
    gettext_noop("seeding"), gettext_noop("passage"), gettext_noop("harvest"),
    gettext_noop("release"), gettext_noop("reject"),
    # where a unit is (rules.custody.Location)
    gettext_noop("not yet stored"), gettext_noop("manufacturer"), gettext_noop("in transit"), gettext_noop("site"),
    gettext_noop("gone"),
]
