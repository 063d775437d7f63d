"""Audited form saves per second against raw inserts of the same rows into the same database.

    .venv/bin/python bench/capture.py                       # SQLite in a scratch data directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/capture.py
    .venv/bin/python bench/capture.py --saves 100           # quicker

The demo trial is loaded (`celltrial init --demo`'s data); then ``--saves`` vitals forms are saved through
the capture room's service (`capture.interface.save_form`: consent gating, the form engine, the edit
checks, the audit entry and its hash chain, the data-quality hooks), each its own transaction, as a
coordinator would: new records at the dosed children's visits, then changes with a reason.

Baseline, measured in the same run and the same database: the same rows (participant, visit, form, repeat
and the JSON values) inserted with plain SQL into a table of the same shape, one transaction each. The
script prints both rates and their ratio (issue 10 target: at least 0.3). The machine is shared: compare
ratios. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=300)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the audited saves to FILE")
    args = parser.parse_args()
    os.environ["CELLTRIAL_DATA_DIR"] = tempfile.mkdtemp(prefix="celltrial-bench-capture-")
    if os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = scratch.scratch_database(os.environ["DATABASE_URL"], "celltrial_bench_capture")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "celltrial.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    from celltrial.accounts import permissions
    from celltrial.capture import interface as capture
    from celltrial.participants.permissions import DATA_ENTER

    coordinator, visits = scratch.demo_trial()
    children = list({v.participant_id: v.participant for v in visits}.values())
    slots = [(v.participant, v.code) for v in visits]
    rows = []
    for i in range(args.saves):
        child, visit = slots[i % len(slots)]
        weight = f"{24 + (i % 40) / 10:.1f}"
        rows.append((child, visit, {"vs_date": "", "weight_kg": weight, "height_cm": "128.0", "temp_c": "36.6",
                                    "hr": str(80 + i % 20), "rr": "20", "sbp": "104", "dbp": "66", "vs_abnormal": "0"}))

    actor = {c.site.code: permissions.actor_for(coordinator, DATA_ENTER, c.site.code) for c in children}
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    for child, visit, values in rows:
        visit_row = next(v for v in visits if v.participant_id == child.pk and v.code == visit)
        values = {**values, "vs_date": (visit_row.actual_date or visit_row.target_date).isoformat()}
        capture.save_form(actor[child.site.code], child, visit=visit, form="vitals", values=values,
                          reason="re-measured")  # the demo entered some of these visits already
    audited = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_raw_form (id integer PRIMARY KEY, participant_id integer, visit text, "
                       "form text, repeat integer, item_values text, status text, version integer)")
    started = time.perf_counter()
    for i, (child, visit, values) in enumerate(rows):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("INSERT INTO bench_raw_form VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                           [i, child.pk, visit, "vitals", 1, json.dumps(values), "complete", 1])
    raw = time.perf_counter() - started

    n = len(rows)
    print(f"database: {connection.vendor}; {n} vitals saves on {len(slots)} (child, visit) records")
    print(f"audited saves through capture.save_form: {n / audited:8.1f} per second")
    print(f"raw SQL inserts of the same rows:       {n / raw:8.1f} per second")
    print(f"ratio audited / raw: {(n / audited) / (n / raw):.3f} (target >= 0.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
