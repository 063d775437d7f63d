"""Audited writes under concurrency: per-object hash chains against one global chain (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/audit_writes.py

N writer threads each update their own site record through ``audit.services.update`` (one row
plus its chained audit entry per transaction). Baseline, measured in the same run: the same writers
when every entry goes to ONE stream, i.e. what a single global hash chain would force. The script
prints writes per second for both and their ratio. It works on a scratch database it creates and
drops (``celltrial_bench``); nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

import scratch


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--writes", type=int, default=60, help="updates per writer")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        print("set DATABASE_URL to a PostgreSQL server: SQLite admits one writer at a time by design")
        return 2
    os.environ["DATABASE_URL"] = scratch.scratch_database(url, "celltrial_bench")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "celltrial.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from celltrial.audit.verify import verify
    from celltrial.core.actor import Actor
    from celltrial.core.models import AuditedModel
    from celltrial.study.models import Site
    from celltrial.study.services import add_site, edit_site

    call_command("migrate", verbosity=0)
    system = Actor.system("bench")
    sites = [add_site(system, code=f"S{i:02d}", name_en=f"Site {i}", timezone="Asia/Shanghai")
             for i in range(args.writers)]

    def run(shared_stream: bool) -> float:
        original = AuditedModel.audit_stream
        if shared_stream:
            AuditedModel.audit_stream = lambda self: "bench:one-global-chain"  # type: ignore[method-assign]
        errors: list[BaseException] = []

        def writer(site_pk: int) -> None:
            try:
                for n in range(args.writes):
                    site = Site.objects.get(pk=site_pk)
                    edit_site(system, site, {"principal_investigator": f"PI {n} {shared_stream}"},
                                 expected_version=site.version, reason="bench")
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=writer, args=(s.pk,)) for s in sites]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        AuditedModel.audit_stream = original  # type: ignore[method-assign]
        if errors:
            raise errors[0]
        return args.writers * args.writes / elapsed

    baseline = run(shared_stream=True)
    ours = run(shared_stream=False)
    result = verify()
    print(f"writers: {args.writers}, updates each: {args.writes}, server: {connection.settings_dict['HOST']}")
    print(f"baseline  one global chain     {baseline:8.0f} audited writes/s")
    print(f"celltrial per-object chains    {ours:8.0f} audited writes/s")
    print(f"ratio (per-object / global)    {ours / baseline:8.2f}x")
    print(f"audit verify after the run: {'OK' if result.ok else result.first_break} ({result.entries} entries)")
    connection.close()
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
