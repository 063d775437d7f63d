"""Message ids the escalation room translates but does not write in a ``gettext`` call of its own, so that
``makemessages`` finds them: the designs' reasons (:class:`~celltrial.escalation.designs.messages.Msg` ids; the
designs do not import Django), shown on the recommendation page, the SRC packet page and the packet PDF.

tests/escalation/test_design_reasons.py drives every design to each reason it gives and checks each id is here
and has a Chinese translation.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

# Marked with ``_`` (xgettext's default keyword), not a literal ``gettext_noop(...)``: that spelling marks the
# reasons the platform stores in the audit trail, which tests/web/test_zh_vocabulary.py collects.

REASON_MESSAGES = (
    # designs/base.py designs/tite.py
    _("no patients yet: start dose"),
    _("maximum sample size %(max_n)s reached; %(why)s"),
    _("cohort at dose %(dose)s has %(n)s of %(size)s patients"),
    _("stop for safety: the lowest dose is too toxic; no MTD"),
    _("stopping rule met; %(why)s"),
    _("%(dlts)s DLT(s) in %(n)s patients at dose %(dose)s: %(decision)s"),
    _("stay"),
    # designs/interval.py designs/tite.py
    _("eliminate"),
    # designs/crm.py
    _("no MTD: the lowest dose is too toxic"),
    _("MTD = dose %(dose)s: model DLT estimate %(estimate)s (90%% interval %(lower)s-%(upper)s) is closest "
      "to the target %(target)s; posterior mean of a = %(a)s"),
    # designs/interval.py
    _("no MTD: the lowest dose is eliminated as too toxic"),
    _("no MTD: no treated, admissible dose"),
    _("MTD = dose %(dose)s: isotonic DLT estimate %(estimate)s (95%% CI %(lower)s-%(upper)s) is closest to "
      "the target %(target)s"),
    # designs/threeplusthree.py
    _("no MTD: dose 1 had >= 2 DLTs"),
    _("no MTD: no patients treated"),
    _("MTD = dose %(dose)s: %(dlts)s/%(n)s DLTs, the highest dose below any with >= 2 DLTs"),
    # designs/tite.py
    _("maximum sample size %(max_n)s reached; the MTD is selected when the %(pending)s pending window(s) close"),
    _("stopping rule met; the MTD is selected when the %(pending)s pending window(s) close"),
    _("%(dlts)s DLT(s) observed in %(n)s patients at dose %(dose)s, %(pending)s pending (standardised "
      "follow-up %(stft)s): %(decision)s"),
    _("accrual suspended: %(pending)s of %(n)s patients at dose %(dose)s are pending; wait for more follow-up"),
    # designs/tite_boin.py
    _("accrual suspended: the design would escalate, but a pending patient at dose %(dose)s has been "
      "followed for less than %(fraction)s of the window (TITE-BOIN, minimum follow-up); wait for more "
      "follow-up"),
    _("accrual suspended: %(pending)s of %(n)s patients at dose %(dose)s are pending, more than %(ratio)s "
      "of them (TITE-BOIN); wait for more follow-up"),
    # designs/threeplusthree.py
    _("escalate (at the top dose: stop, MTD = top dose)"),
    _("stay: treat 3 more at this dose"),
    _("stop; MTD = next lower dose (none at dose 1)"),
    _("de-escalate: MTD = lower dose if it has 6, else treat 3 more there (stop at dose 1: no MTD)"),
    _("stop; MTD = this dose"),
    _("de-escalate again"),
    _("6 after de-escalation"),
    # the decision words ending a reason
    _("escalate"), _("de-escalate"),
)
