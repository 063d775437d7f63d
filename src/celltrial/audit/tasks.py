"""Worker tasks of the audit room (huey; found by the consumer's autodiscovery of ``tasks`` modules).

The trail is sealed every ``CELLTRIAL_SEAL_EVERY_MINUTES`` (5 by default). Two seals never interleave:
each takes the checkpoint log's file lock (:mod:`celltrial.audit.seal`).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

log = logging.getLogger(__name__)


def seal_schedule() -> Any:
    return crontab(minute=f"*/{settings.CELLTRIAL_SEAL_EVERY_MINUTES}")


@db_periodic_task(seal_schedule(), name="audit.seal")
def seal_trail() -> dict[str, Any]:
    """Append a signed checkpoint over every stream head; log the streams that could not be sealed."""
    from celltrial.audit.seal import seal

    result = seal()
    for refusal in result.refused:
        log.error("audit seal: %s", refusal)
    log.info("audit checkpoint #%s: %s entries in %s streams", result.number, result.entries, result.streams)
    return result.as_json()
