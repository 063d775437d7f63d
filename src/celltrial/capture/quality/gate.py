"""What the form engine asks data quality before and after a save (the capture room's own seam).

STUB until the data-quality app lands: the signatures are agreed; the bodies are replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def entry_lock(participant: Any, visit: str, form: str) -> str | None:
    """Why this form may not be changed now (frozen or locked at form, visit, participant or database
    level), as a translated message; None when it may."""
    return None


def after_save(actor: Any, record: Any, old_values: Mapping[str, Any], new_values: Mapping[str, Any]) -> None:
    """Run the protocol's edit checks touching this form, open or close their queries, and flag fields
    changed after SDV. Called inside the save's transaction."""
    return None
