"""Data quality rules, Django-free: the query state machine, lock precedence, edit-check evaluation and
the missing-form and overdue lists."""
