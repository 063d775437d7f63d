"""The cost of `celltrial audit verify` and `celltrial audit seal` as the trail grows.

    .venv/bin/python bench/audit_verify.py                      # SQLite in a scratch data directory
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/audit_verify.py

Builds a trail of S sites, each created and then edited U times through the auditing services (so
S x (U + 1) entries in S streams, plus the protocol's), seals it, and times:

- baseline, measured in the same run: the chain-only walk that ``audit verify`` did before sealing and
  reconciliation (every entry in (stream, seq) order, its link and its hash recomputed);
- the full ``audit verify``: chains and heads, the checkpoint log (signatures), every sealed head,
  every record reconciled with its replayed stream, and the guards;
- the seal after the trail grew (it checks every new entry's link and hash; at size 1 that is every
  entry), a seal after 1 % of the streams moved, and a seal when nothing moved;
- the same at twice the size, to show that each grows linearly.

It prints times and ratios; nothing here is asserted by the test suite. On PostgreSQL it works on a
scratch database it creates and drops (``celltrial_bench_verify``).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import scratch


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1500)
    parser.add_argument("--updates", type=int, default=3, help="edits per site after its creation")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    data_dir = tempfile.mkdtemp(prefix="celltrial-bench-verify-")
    os.environ["CELLTRIAL_DATA_DIR"] = data_dir
    if url.startswith("postgres"):
        os.environ["DATABASE_URL"] = scratch.scratch_database(url, "celltrial_bench_verify")
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "celltrial.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from celltrial.audit.chain import GENESIS, entry_hash
    from celltrial.audit.models import AuditEntry
    from celltrial.audit.seal import seal
    from celltrial.audit.verify import verify
    from celltrial.core.actor import Actor
    from celltrial.study.models import Site
    from celltrial.study.services import add_site, edit_site, load_default_protocol

    call_command("migrate", verbosity=0)
    system = Actor.system("bench")
    load_default_protocol(system)

    def grow(first: int, count: int) -> None:
        for i in range(first, first + count):
            site = add_site(system, code=f"B{i:05d}", name_en=f"Site {i}", timezone="Asia/Shanghai")
            for n in range(args.updates):
                site = edit_site(system, site, {"principal_investigator": f"PI {n}"}, expected_version=site.version,
                                 reason="bench").instance

    def chain_only() -> int:
        """The walk of the earlier verify: links and hashes only."""
        stream, prev, broken = None, GENESIS, 0
        for e in AuditEntry.objects.order_by("stream", "seq").iterator(chunk_size=2000):
            if e.stream != stream:
                stream, prev = e.stream, GENESIS
            if e.prev_hash != prev or entry_hash(e.hashed_content(), e.prev_hash) != e.entry_hash:
                broken += 1
            prev = e.entry_hash
        return broken

    def measure(label: str) -> dict[str, float]:
        entries = AuditEntry.objects.count()
        first_seal = best(seal, 1)
        quiet_seal = best(seal, args.repeat)
        moved = max(1, Site.objects.count() // 100)
        for site in Site.objects.order_by("pk")[:moved]:
            edit_site(system, site, {"principal_investigator": "moved"}, expected_version=site.version, reason="bench")
        busy_seal = best(seal, 1)
        base = best(chain_only, args.repeat)
        result = verify()
        assert result.ok, [str(p) for p in result.problems[:5]]
        full = best(verify, args.repeat)
        print(f"\n## {label}: {entries:,} entries, {result.streams:,} streams, {result.records:,} records, "
              f"{result.checkpoints} checkpoints")
        print(f"baseline chain-only walk            {base * 1000:9.1f} ms")
        print(f"audit verify (all checks)           {full * 1000:9.1f} ms   -> {full / base:.2f}x the baseline")
        print(f"seal after the growth               {first_seal * 1000:9.1f} ms")
        print(f"seal after 1 % of streams moved     {busy_seal * 1000:9.1f} ms   -> "
              f"{busy_seal / first_seal:.2f}x the seal after the growth ({moved} streams)")
        print(f"seal, nothing moved                 {quiet_seal * 1000:9.1f} ms")
        return {"entries": entries, "base": base, "full": full, "first_seal": first_seal, "busy_seal": busy_seal}

    print(f"# bench/audit_verify.py  ({connection.vendor}, {args.sites} sites x {args.updates + 1} entries, "
          f"best of {args.repeat})")
    grow(0, args.sites)
    small = measure("size 1")
    grow(args.sites, args.sites)
    large = measure("size 2")
    print("\n## growth from size 1 to size 2")
    print(f"entries x{large['entries'] / small['entries']:.2f}; audit verify x{large['full'] / small['full']:.2f}; "
          f"baseline x{large['base'] / small['base']:.2f}")
    connection.close()
    if url.startswith("postgres"):
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS celltrial_bench_verify")
    return 0


if __name__ == "__main__":
    sys.exit(main())
