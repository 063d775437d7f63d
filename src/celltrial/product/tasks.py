"""Worker tasks of the product room (huey; found by the consumer's autodiscovery of ``tasks`` modules)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(name="product.notify_recall", retries=3, retry_delay=60)
def notify_recall_task(recall_id: int) -> int:
    """Send a recall's notices (in-app and email); a retry sends nothing twice."""
    from celltrial.product.services import notify_recall

    return len(notify_recall(recall_id))
