"""Worker tasks of the safety room (huey; found by the consumer's autodiscovery of ``tasks`` modules).

Every 15 minutes the worker sends the reporting-clock notices that are due — at the clock's start, at half the
time, when overdue — to the medical monitors and the site's investigators, in-app and by email, each once.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="*/15"), name="safety.notify_due")
def notify_due_task() -> int:
    from celltrial.safety.services import notify_due

    return len(notify_due())
