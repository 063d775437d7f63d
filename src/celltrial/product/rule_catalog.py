"""Message ids the product room translates but does not write in a ``gettext`` call of its own, so that
``makemessages`` finds them: the pure rules' :class:`~celltrial.core.messages.Msg` ids (the rules do
not import Django), shown on the product pages (the participants interface's allocation refusals are in the participants
room's catalog).

tests/product/test_quarantine_and_specifications.py checks that every rule message made on the common paths
has a Chinese translation.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop as _

# Marked with ``_`` (xgettext's default keyword), not a literal ``_(...)``: that spelling marks the
# reasons the platform stores in the audit trail, which tests/web/test_zh_vocabulary.py collects.

RULE_MESSAGES = (
    # rules/custody.py
    _("%(why)s Allowed next: %(next)s."),
    _("none (the unit's ledger is closed)"),
    _("'%(event)s' cannot be the first event: a unit's ledger starts with 'stored'."),
    _("'%(event)s' was already recorded; it cannot be recorded again after '%(last)s'."),
    _("'%(event)s' cannot follow '%(last)s' (the unit is %(where)s)."),
    _("'%(event)s' at %(at)s is before the previous event '%(previous)s' at %(previous_at)s."),
    _("the unit expired at %(at)s: only 'destroyed' or 'returned' may be recorded."),
    _("'%(event)s' at %(at)s is more than %(hours)s h after the thaw at %(thawed_at)s (limit %(limit)s): the "
       "unit must be destroyed."),
    _("stored"), _("shipped"), _("received"), _("thawed"), _("prepared"), _("administered"),
    _("destroyed"), _("returned"), _("gone"), _("prepared for administration"), _("at the manufacturer"),
    _("at the site"), _("in transit"), _("not yet stored"),
    # rules/release.py
    _("%(reason)s (optional test)"),
    _("no result for %(what)s: a missing result cannot release a lot"),
    _("%(analyte)s = %(value)s meets %(requirement)s"),
    _("%(analyte)s = %(value)s does not meet %(requirement)s"),
    _("%(analyte)s = %(value)s does not meet %(requirement)s (a result below the reporting limit cannot show a "
       "lower limit is met)"),
    _("%(shown)s does not meet %(requirement)s"),
    _("%(shown)s do not meet %(requirement)s"),
    _("%(shown)s does not meet %(requirement)s; a passing partner marker does not outweigh a reported "
       "out-of-limit marker"),
    _("%(shown)s do not meet %(requirement)s; a passing partner marker does not outweigh a reported "
       "out-of-limit marker"),
    _("%(names)s meets %(requirement)s; either marker of the pair may be tested (ISCT)"),
    _("%(names)s meet %(requirement)s; either marker of the pair may be tested (ISCT)"),
    _("%(analyte)s = %(value)s is an accepted result"),
    _("%(analyte)s = %(value)s is not one of %(requirement)s"),
    _("%(check)s (%(dose)s cells/kg × %(kg)s kg, weight capped at %(cap)s kg)"),
    _("%(check)s (%(dose)s cells/kg × %(kg)s kg)"),
    _("%(c)s EU/mL × %(ml)s mL ÷ %(kg)s kg = %(shown)s meets %(requirement)s"),
    _("%(c)s EU/mL × %(ml)s mL ÷ %(kg)s kg = %(shown)s exceeds %(requirement)s"),
    # rules/dose.py
    _("delivered %(delivered)s viable cells is %(pct)s%% above the intended %(intended)s: within ±%(tol)s%%"),
    _("delivered %(delivered)s viable cells is %(pct)s%% above the intended %(intended)s: outside ±%(tol)s%%"),
    _("delivered %(delivered)s viable cells is %(pct)s%% below the intended %(intended)s: within ±%(tol)s%%"),
    _("delivered %(delivered)s viable cells is %(pct)s%% below the intended %(intended)s: outside ±%(tol)s%%"),
    # rules/lot_release.py
    _("%(code)s: %(reason)s"),
)
