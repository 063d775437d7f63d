"""API form saves from concurrent clients against gunicorn on PostgreSQL: p95 against a cheap API read.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python bench/capture_api.py
    DATABASE_URL=... .venv/bin/python bench/capture_api.py --clients 32 --requests 20 --workers 4
    DATABASE_URL=... .venv/bin/python bench/capture_api.py --form vitals --clients 12   # one vitals record each

Issue 10: "API form-save p95 with 32 concurrent clients against gunicorn on PostgreSQL over loopback (target
under 50 ms)". A scratch database (``celltrial_bench_capture_api`` on the server DATABASE_URL names) and a
scratch data directory get the migrations, the default protocol and the demo trial, as ``bench/capture.py``
does. Each client gets its own API token of the demo coordinator (``accounts.services.issue_token``, what
``celltrial token issue`` does: one token per device), and gunicorn serves ``celltrial.wsgi:application`` on
127.0.0.1 as ``celltrial serve`` does (sync workers, ``--timeout 120``, settings from the environment; no
task worker beside it, as nothing on these paths queues work for it).

The clients are threads of this process, each with its own HTTP connection (http.client; the sync worker
closes it after each answer, so each request reconnects over loopback, as with ``celltrial serve``). By
default each client sends its next request as soon as the last one is answered (a closed loop: the mean
latency is then the number of clients over the throughput, Little's law, which the script prints);
``--think`` makes each client pause a random time of that mean between requests, as people do. A
request's latency runs from sending it to reading the whole answer. Any answer other than 2xx, or a broken
connection, is an error; the first bodies are printed.

Which records. Thirty-two people saving the same record at once get version conflicts (409), by design,
and a save without ``expected_version`` is no "latest wins": the service compares against the version it
read in the same transaction, so a concurrent save still conflicts. A site does not work that way: each
person (or device) enters the records of the participant and visit in front of them, and saves with the
version it last read, as the web pages do. The demo trial has 3 dosed children and 13 (child, visit)
pairs where the vitals form is entered after dosing (the done visits except Screening and the Day 3 call,
as in ``bench/capture.py``): fewer than 32 records. So by default (``--form con_meds``) every client owns
one instance of the repeating concomitant-medication form at one of those 13 pairs (spread round-robin,
instances numbered after any the demo entered): the client first enters its medication (unmeasured, with
a warm-up read), then makes ``--requests`` measured changes to it (the dose, with a reason), each with the
``expected_version`` the previous answer returned. No two clients touch one record, so a 409 is a real
error, and at the end every record must be at the version its client last saw. ``--form vitals`` saves
the vitals form of ``bench/capture.py`` instead (its values, reason "re-measured"), one (child, visit)
record per client, so with at most 12 clients (one record is kept for the query count).

Baseline, measured in the same run against the same gunicorn with the same clients and requests per
client: ``GET /api/protocol/sites``, the cheapest authenticated API read (the token check, the caller's
roles, one query of the sites), once before the saves and once after, their latencies pooled. The script
prints count, errors, p50, p95, p99, max and throughput of each, the time gunicorn itself spent on the
requests (its access log's request time, which leaves out the wait for a free worker), the ratio form-save
p95 / baseline p95, the target check, and, for where the time goes, the same requests from one client
alone and the SQL queries of one request of each kind. The machine is shared: compare the ratio; absolute
times move with the load. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import scratch

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "celltrial_bench_capture_api"
BASELINE_PATH = "/api/protocol/sites"
LOG_FORMAT = "%({x-bench-phase}i)s %(s)s %(D)s"  # phase header, status, request time in microseconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(samples: list[float], q: float) -> float:
    """Nearest rank on the sorted samples (as bench/participants.py takes its p95)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# --- the clients ---------------------------------------------------------------------------------------------


@dataclass
class Slot:
    """One record a client owns: participant, visit, form, instance; and the values it saves."""

    participant: int
    visit: str
    visit_date: str
    form: str
    repeat: int
    version: int | None = None
    saved: int = 0  # saves answered so far: each save's values differ from the last one's

    @property
    def path(self) -> str:
        return f"/api/capture/participants/{self.participant}/forms/{self.visit}/{self.form}"

    def body(self) -> dict[str, Any]:
        k = self.saved
        if self.form == "vitals":  # bench/capture.py's values
            values = {"vs_date": self.visit_date, "weight_kg": f"{24 + (k % 40) / 10:.1f}", "height_cm": "128.0",
                      "temp_c": "36.6", "hr": str(80 + k % 20), "rr": "20", "sbp": "104", "dbp": "66",
                      "vs_abnormal": "0"}
            return {"values": values, "reason": "re-measured", "expected_version": self.version}
        values = {"cm_name": "Melatonin", "cm_indication": "Sleep onset insomnia", "cm_dose": f"{1 + k % 9} mg",
                  "cm_route": "1", "cm_start": self.visit_date, "cm_ongoing": "1", "cm_psychotropic": "0"}
        body: dict[str, Any] = {"values": values, "repeat": self.repeat, "expected_version": self.version}
        if self.version is not None:
            body["reason"] = "dose corrected against the source record"
        return body


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    server: list[float] = field(default_factory=list)  # gunicorn's request times, from its access log

    @property
    def count(self) -> int:
        return len(self.latencies) + len(self.errors)


Request = Callable[[int], tuple[str, str, bytes | None]]


def run_phase(name: str, port: int, clients: list[tuple[str, Request, Callable[[dict[str, Any]], None]]],
              per_client: int, think: float = 0.0) -> Phase:
    """Every client sends ``per_client`` requests, one after another; all start together. With ``think``,
    a client first waits a random part of it, then between requests an exponentially distributed time of
    mean ``think`` (people at different moments, not in step); the waits are seeded, so reproducible."""
    phase = Phase(name)
    lock = threading.Lock()
    barrier = threading.Barrier(len(clients) + 1)
    spans: list[tuple[float, float]] = []

    def client(index: int, token: str, request: Request, observe: Callable[[dict[str, Any]], None]) -> None:
        pause = random.Random(index)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Authorization": f"Bearer {token}", "X-Bench-Phase": name, "Accept": "application/json"}
        mine: list[float] = []
        errors: list[str] = []
        barrier.wait()
        began = time.perf_counter()
        if think:
            time.sleep(pause.uniform(0, think))
        for k in range(per_client):
            method, path, body = request(k)
            sent = dict(headers, **({"Content-Type": "application/json"} if body is not None else {}))
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
                conn.close()
                continue
            elapsed = time.perf_counter() - started
            if 200 <= response.status < 300:
                mine.append(elapsed)
                observe(json.loads(data) if data else {})
            else:
                errors.append(f"{method} {path} -> {response.status}: {data[:300].decode(errors='replace')}")
            if think and k + 1 < per_client:
                time.sleep(pause.expovariate(1 / think))
        ended = time.perf_counter()
        conn.close()
        with lock:
            phase.latencies.extend(mine)
            phase.errors.extend(errors)
            spans.append((began, ended))

    threads = [threading.Thread(target=client, args=(i, *c), daemon=True) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join()
    phase.wall = max(e for _b, e in spans) - min(b for b, _e in spans)
    return phase


def saver(slot: Slot) -> tuple[Request, Callable[[dict[str, Any]], None]]:
    def request(k: int) -> tuple[str, str, bytes | None]:
        return "POST", slot.path, json.dumps(slot.body()).encode()

    def observe(answer: dict[str, Any]) -> None:
        slot.version, slot.saved = answer["version"], slot.saved + 1

    return request, observe


def reader() -> tuple[Request, Callable[[dict[str, Any]], None]]:
    return (lambda k: ("GET", BASELINE_PATH, None)), (lambda answer: None)


# --- gunicorn ------------------------------------------------------------------------------------------------


def start_gunicorn(port: int, workers: int, threads: int, logs: Path) -> tuple[subprocess.Popen[bytes], list[str]]:
    args = [sys.executable, "-m", "gunicorn", "celltrial.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--timeout", "120", "--access-logfile", str(logs / "access.log"),
            "--access-logformat", LOG_FORMAT, "--error-logfile", str(logs / "error.log")]
    if threads > 1:
        args += ["--worker-class", "gthread", "--threads", str(threads)]
    server = subprocess.Popen(args, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    return server, [a for a in args[3:] if not a.startswith(str(logs)) and a != LOG_FORMAT
                    and not a.endswith(("-logfile", "-logformat"))]


def wait_until_answering(server: subprocess.Popen[bytes], port: int, token: str, logs: Path,
                         timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        with contextlib.suppress(OSError, http.client.HTTPException):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", BASELINE_PATH, headers={"Authorization": f"Bearer {token}",
                                                        "X-Bench-Phase": "probe"})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return
            raise SystemExit(f"gunicorn answered {response.status} to {BASELINE_PATH}")
        time.sleep(0.2)
    error_log = (logs / "error.log").read_text() if (logs / "error.log").exists() else ""
    raise SystemExit(f"gunicorn did not answer on 127.0.0.1:{port}\n{error_log[-3000:]}")


def stop_gunicorn(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.terminate()  # the arbiter stops its workers gracefully
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def server_times(logs: Path, phases: dict[str, Phase]) -> None:
    """Attach gunicorn's own request time (microseconds in the access log) to each phase by its header."""
    time.sleep(0.5)  # a worker logs the request just after sending the answer
    for line in (logs / "access.log").read_text().splitlines():
        name, _status, micros = line.rsplit(" ", 2)
        if name in phases:
            phases[name].server.append(int(micros) / 1e6)


# --- the trial -----------------------------------------------------------------------------------------------


def prepare(form: str, clients: int) -> tuple[list[Slot], Slot, list[str], str]:
    """Migrate, load protocol and demo; the clients' records and tokens (one more of each for the query count)."""
    import django

    django.setup()
    from django.db.models import Max

    from celltrial.accounts.services import issue_token
    from celltrial.capture.models import FormRecord

    coordinator, visits = scratch.demo_trial()
    pairs = [(v.participant_id, v.code, (v.actual_date or v.target_date).isoformat()) for v in visits]
    if form == "vitals":
        if clients + 1 > len(pairs):
            raise SystemExit(f"--form vitals: the demo has {len(pairs)} (child, visit) vitals records, one per "
                             f"client and one for the query count; use --clients {len(pairs) - 1} or fewer")
        slots = [Slot(p, v, d, "vitals", 1) for p, v, d in pairs[:clients + 1]]
    else:
        first = {(p, v): (FormRecord.objects.filter(participant_id=p, visit=v, form="con_meds")
                          .aggregate(m=Max("repeat"))["m"] or 0) + 1 for p, v, _d in pairs}
        slots = []
        for i in range(clients + 1):
            p, v, d = pairs[i % len(pairs)]
            repeat = first[(p, v)] + i // len(pairs)
            if repeat > 99:
                raise SystemExit("too many clients: a repeating form has instances 1 to 99")
            slots.append(Slot(p, v, d, "con_meds", repeat))
    for slot in slots:  # a vitals record the demo entered: the first save changes it
        existing = FormRecord.objects.filter(participant_id=slot.participant, visit=slot.visit, form=slot.form,
                                             repeat=slot.repeat).first()
        slot.version = existing.version if existing else None
    from celltrial.core.actor import Actor

    system = Actor.system("bench capture_api")
    tokens = [issue_token(system, coordinator, f"bench client {i}", days=1) for i in range(clients + 1)]
    summary = (f"{len({v.participant_id for v in visits})} dosed children, {len(pairs)} (child, visit) pairs after dosing "
               f"(done visits except SCR and the D3 call)")
    return slots[:clients], slots[clients], tokens, summary


def count_queries(slot: Slot, token: str) -> tuple[int, int]:
    """SQL queries of one baseline read and one form save (the test client, in this process)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    counts = []
    for _round in range(2):  # the first save of the record; the second is the change that is counted
        with CaptureQueriesContext(connection) as read:
            assert client.get(BASELINE_PATH).status_code == 200
        with CaptureQueriesContext(connection) as save:
            answer = client.post(slot.path, json.dumps(slot.body()), content_type="application/json")
        if answer.status_code != 200:
            raise SystemExit(f"query count: the save answered {answer.status_code}: {answer.content[:300]!r}")
        slot.version, slot.saved = answer.json()["version"], slot.saved + 1
        counts = [len(read), len(save)]
    connection.close()
    return counts[0], counts[1]


def stale_records(slots: list[Slot]) -> list[str]:
    """Records whose stored version is not the one the client's last answer gave (a lost or phantom save)."""
    from celltrial.capture.models import FormRecord

    stale = []
    for slot in slots:
        stored = FormRecord.objects.filter(participant_id=slot.participant, visit=slot.visit, form=slot.form,
                                           repeat=slot.repeat).values_list("version", flat=True).first()
        if stored != slot.version:
            stale.append(f"{slot.path} #{slot.repeat}: stored version {stored}, last answer {slot.version}")
    return stale


# --- report --------------------------------------------------------------------------------------------------


def row(label: str, phase: Phase) -> str:
    ms = [x * 1e3 for x in phase.latencies] or [float("nan")]
    server = [x * 1e3 for x in phase.server] or [float("nan")]
    rate = len(phase.latencies) / phase.wall if phase.wall else float("nan")
    return (f"  {label:<34} {phase.count:>5} {len(phase.errors):>6} {percentile(ms, .5):>8.1f} "
            f"{percentile(ms, .95):>8.1f} {percentile(ms, .99):>8.1f} {max(ms):>8.1f} {rate:>7.1f} "
            f"{percentile(server, .5):>8.1f} {percentile(server, .95):>8.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--requests", type=int, default=20, help="measured requests per client and phase (20)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4, for 2 cores)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads per worker; more than 1 uses gunicorn's gthread worker (default 1: sync)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="seconds each client waits between its measured requests (default 0: a closed loop)")
    parser.add_argument("--form", choices=["con_meds", "vitals"], default="con_meds",
                        help="con_meds: one instance of the repeating form per client (default); "
                             "vitals: one (child, visit) vitals record per client")
    args = parser.parse_args()
    if args.clients < 1 or args.requests < 1 or args.workers < 1 or args.threads < 1:
        parser.error("--clients, --requests, --workers and --threads are at least 1")
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        parser.error("set DATABASE_URL to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/test")

    data_dir = tempfile.mkdtemp(prefix="celltrial-bench-capture-api-")
    Path(data_dir, "static").mkdir()  # STATIC_ROOT: whitenoise warns when it is missing
    os.environ["CELLTRIAL_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = scratch.scratch_database(url, DB_NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "celltrial.settings")
    server = None
    try:
        slots, counted, tokens, trial = prepare(args.form, args.clients)
        read_queries, save_queries = count_queries(counted, tokens[-1])
        import gunicorn

        port = free_port()
        logs = Path(data_dir)
        load_before = os.getloadavg()[0]
        server, gunicorn_args = start_gunicorn(port, args.workers, args.threads, logs)
        wait_until_answering(server, port, tokens[0], logs)

        def savers(which: list[Slot]) -> list[tuple[str, Request, Callable[[dict[str, Any]], None]]]:
            return [(tokens[i], *saver(s)) for i, s in enumerate(which)]

        readers = [(tokens[i], *reader()) for i in range(args.clients)]
        # Warm-up, not measured: every worker imports and caches; each client enters its record.
        run_phase("warmup", port, readers, 2)
        warm = run_phase("warmup", port, savers(slots), 1)
        if warm.errors:
            print("the first saves failed:", *warm.errors[:3], sep="\n  ")
            return 1
        phases = {
            "read1": run_phase("read1", port, readers, args.requests, args.think),
            "save": run_phase("save", port, savers(slots), args.requests, args.think),
            "read2": run_phase("read2", port, readers, args.requests, args.think),
            "save1": run_phase("save1", port, savers(slots[:1]), args.requests),
            "readsolo": run_phase("readsolo", port, readers[:1], args.requests),
        }
        load_after = os.getloadavg()[0]
        stop_gunicorn(server)
        server_times(logs, phases)
        stale = stale_records(slots)
    finally:
        if server is not None:
            stop_gunicorn(server)
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        scratch.drop_database(url, DB_NAME)
        shutil.rmtree(data_dir, ignore_errors=True)

    read = Phase("read", phases["read1"].latencies + phases["read2"].latencies,
                 phases["read1"].errors + phases["read2"].errors, phases["read1"].wall + phases["read2"].wall,
                 phases["read1"].server + phases["read2"].server)
    save = phases["save"]
    kind = ("one con_meds instance per client (repeating form), changes with a reason" if args.form == "con_meds"
            else "one vitals record per client, changes with a reason")
    worker = "sync" if args.threads == 1 else f"gthread, {args.threads} threads"
    print(f"database: postgresql (scratch {DB_NAME}); demo trial: {trial}")
    print(f"form saves: {kind}, expected_version from the previous answer")
    print(f"gunicorn {gunicorn.__version__}: {args.workers} {worker} workers on 127.0.0.1:{port} "
          f"(gunicorn {' '.join(gunicorn_args)}, access log with request times); {os.cpu_count()} CPUs, "
          f"load average {load_before:.1f} before, {load_after:.1f} after")
    think = (f", on average {args.think * 1e3:.0f} ms between requests" if args.think
             else " (closed loop, no think time)")
    print(f"{args.clients} clients x {args.requests} requests per phase{think}; client latency in ms (send to last "
          f"byte); srv = gunicorn's request time")
    print(f"  {'':34} {'n':>5} {'errors':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8} {'req/s':>7} "
          f"{'srv p50':>8} {'srv p95':>8}")
    print(row(f"baseline GET {BASELINE_PATH}", read))
    print(row("  (before the saves)", phases["read1"]))
    print(row("  (after the saves)", phases["read2"]))
    print(row(f"form save POST .../{args.form}", save))
    print(row("one client alone: form save", phases["save1"]))
    print(row("one client alone: baseline", phases["readsolo"]))
    for phase in (read, save, phases["save1"], phases["readsolo"]):
        for error in phase.errors[:3]:
            print(f"  error ({phase.name}): {error}")
    busy = sum(save.server) / (save.wall * args.workers * args.threads) if save.wall else float("nan")
    print(f"records: {len(slots) - len(stale)} of {len(slots)} at the version the client's last answer gave"
          + "".join(f"\n  {line}" for line in stale[:3]))
    print(f"SQL queries per request: baseline {read_queries}, form save {save_queries}")
    waited = percentile(save.latencies, .5) - percentile(save.server, .5)
    print(f"gunicorn {'workers' if args.threads == 1 else 'threads'} busy {busy:.0%} of the form-save phase; "
          f"client p50 minus server p50 (waiting for a free worker, connecting): {waited * 1e3:.1f} ms")
    if not args.think and save.wall:
        rate = len(save.latencies) / save.wall
        print(f"closed loop: mean latency = clients / throughput = {args.clients} / {rate:.1f} per s = "
              f"{args.clients / rate * 1e3:.0f} ms (Little's law); a p95 under 50 ms with {args.clients} clients "
              f"needs more than {args.clients / 0.050:.0f} saves per second")
    save95, read95 = percentile(save.latencies, .95), percentile(read.latencies, .95)
    print(f"ratio form-save p95 / baseline p95: {save95 / read95:.1f} "
          f"({save95 * 1e3:.1f} ms / {read95 * 1e3:.1f} ms)")
    before, after = (percentile(phases[p].latencies, .95) for p in ("read1", "read2"))
    if max(before, after) > 1.3 * min(before, after):
        print(f"  the baseline moved during the run (p95 {before * 1e3:.1f} ms before the saves, {after * 1e3:.1f} "
              f"ms after): the machine's load changed; against each, the ratio is {save95 / before:.1f} and "
              f"{save95 / after:.1f}")
    met = save95 < 0.050 and not save.errors
    print(f"p95 < 50 ms: {'yes' if met else 'no'} (form save p95 {save95 * 1e3:.1f} ms, "
          f"{len(save.errors)} errors; issue 10 target)")
    return 0 if not (save.errors or read.errors or stale) else 1


if __name__ == "__main__":
    sys.exit(main())
