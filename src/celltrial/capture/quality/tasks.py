"""Worker tasks of data quality (huey; found by the consumer's autodiscovery of ``tasks`` modules)."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task(name="quality.run_checks", retries=1, retry_delay=60)
def run_checks_task(sites: list[str] | None = None) -> dict[str, int]:
    """Every edit check against every form record (of ``sites``, or all): queries opened and closed."""
    from celltrial.capture.quality.services import SYSTEM, run_all_checks

    run = run_all_checks(SYSTEM, sites=sites)
    return {"evaluated": run.evaluated, "opened": run.opened, "reopened": run.reopened, "closed": run.closed}
