"""Sealing: signed checkpoints over every stream head, in a log outside the database.

A checkpoint says "at this time, these were the heads of every stream": the RFC 6962 Merkle tree hash
over the sorted (stream, seq, entry_hash) heads (:mod:`celltrial.audit.merkle`), the number of streams
and of entries, the heads that moved since the previous checkpoint (so the full set can be rebuilt
from the log alone), the hash of the previous checkpoint, and an Ed25519 signature by a key held
outside the database (:mod:`celltrial.audit.keys`). Each checkpoint is one JSON line appended to the
checkpoint log (``settings.CELLTRIAL_SEAL_LOG``).

A seal extends the sealed state only along chains it has checked: for every stream whose head moved,
the new entries must link to the sealed hash and hash to their content. A stream that does not (its
head went backwards, or vanished, or its new entries do not chain) keeps its sealed point and is
reported; ``audit verify`` reports it too.

What this proves (docs/audit.md): history up to a checkpoint cannot be altered, reordered, truncated or
deleted without ``audit verify`` noticing, even by someone who owns the database and drops every
trigger, unless they also hold the signing key. It cannot prove that an entry appended after the last
checkpoint is genuine; reconciliation with the records (:mod:`celltrial.audit.reconcile`) catches a
forged entry that claims a change the record does not have.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from celltrial.audit.chain import GENESIS, entry_hash
from celltrial.audit.keys import ensure_key, key_id, load_private_key
from celltrial.audit.merkle import heads_root
from celltrial.audit.models import AuditEntry, StreamHead
from celltrial.core.canonical import canonical
from celltrial.core.errors import InputError

FORMAT = "celltrial-audit-checkpoint/1"
_BATCH = 100


class SealError(InputError):
    """The trail cannot be sealed (the checkpoint log is damaged or signed by another key)."""


def log_path() -> Path:
    return Path(settings.CELLTRIAL_SEAL_LOG)


def _state_cache(path: Path) -> Path:
    return path.with_name(path.name + ".state.json")


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record).encode("utf-8")).hexdigest()


def _parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


@dataclass
class Ledger:
    """The checkpoint log replayed: the sealed head of every stream and the last checkpoint.

    ``state`` maps a stream to (seq, entry_hash, number of the checkpoint that sealed it there).
    ``problems`` are the log's own faults; replay stops at the first one, so the state is the one the
    checkpoints before it vouch for.
    """

    state: dict[str, tuple[int, str, int]] = field(default_factory=dict)
    count: int = 0
    entries: int = 0
    last_hash: str = GENESIS
    last_root: str = ""
    last_sealed_at: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)

    def root(self) -> str:
        return heads_root((s, q, h) for s, (q, h, _n) in self.state.items())


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("r", encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def replay(path: Path, public_key: Ed25519PublicKey | None) -> Ledger:
    """Read the checkpoint log, checking each checkpoint's signature, its link to the one before, its
    numbering, that no head moves backwards, and that its root and counts follow from the heads."""
    ledger = Ledger()
    if not path.exists():
        return ledger
    expected_key = key_id(public_key) if public_key is not None else None
    line_no = 0
    for line_no, line in _lines(path):
        problem = _apply(ledger, line, public_key, expected_key)
        if problem:
            ledger.problems.append(_("checkpoint log %(path)s line %(line)s: %(problem)s") % {
                "path": path, "line": line_no, "problem": problem})
            return ledger
    # Each checkpoint's list of moved heads is signed; the root over all heads is recomputed for the last
    # one (recomputing every checkpoint's would cost the number of streams per checkpoint).
    if ledger.count and ledger.root() != ledger.last_root:
        ledger.problems.append(_("checkpoint log %(path)s line %(line)s: %(problem)s") % {
            "path": path, "line": line_no,
            "problem": _("checkpoint #%(n)s: its root does not follow from the heads it records") % {
                "n": ledger.count}})
    return ledger


def _apply(ledger: Ledger, line: str, public_key: Ed25519PublicKey | None, expected_key: str | None) -> str:
    try:
        record = json.loads(line)
        body, signature = record["checkpoint"], base64.b64decode(record["signature"], validate=True)
        n, changed = int(body["n"]), body["changed"]
    except (ValueError, KeyError, TypeError):
        return _("not a checkpoint record (the line was altered or truncated)")
    if public_key is None:
        return _("no public key to check the signatures with (give --public-key, or set "
                 "CELLTRIAL_SEAL_PUBLIC_KEY_FILE)")
    if body.get("format") != FORMAT:
        return _("unknown checkpoint format %(format)s") % {"format": body.get("format")}
    if body.get("key_id") != expected_key:
        return _("signed by key %(found)s, not by the trusted key %(expected)s") % {
            "found": body.get("key_id"), "expected": expected_key}
    try:
        public_key.verify(signature, canonical(body).encode("utf-8"))
    except InvalidSignature:
        return _("the signature does not match the checkpoint (altered or forged)")
    if n != ledger.count + 1:
        return _("checkpoint #%(n)s follows #%(prev)s (a checkpoint was removed or reordered)") % {
            "n": n, "prev": ledger.count}
    if body.get("prev") != ledger.last_hash:
        return _("checkpoint #%(n)s does not link to the checkpoint before it") % {"n": n}
    state = ledger.state
    added, entries = 0, ledger.entries
    try:
        for stream, seq, _head_hash in changed:
            before = state.get(stream)
            if before is not None and int(seq) <= before[0]:
                return _("checkpoint #%(n)s moves stream %(stream)s back from seq %(old)s to %(new)s") % {
                    "n": n, "stream": stream, "old": before[0], "new": seq}
            added += before is None
            entries += int(seq) - (before[0] if before else 0)
    except (ValueError, TypeError):
        return _("not a checkpoint record (the line was altered or truncated)")
    if body.get("streams") != len(state) + added or body.get("entries") != entries:
        return _("checkpoint #%(n)s: its counts do not follow from the heads it records") % {"n": n}
    for stream, seq, head_hash in changed:
        state[stream] = (int(seq), str(head_hash), n)
    ledger.entries = entries
    ledger.last_root = str(body.get("root"))
    ledger.count = n
    ledger.last_hash = record_hash(record)
    ledger.last_sealed_at = _parse_time(body["sealed_at"])
    return ""


@dataclass(frozen=True)
class SealResult:
    number: int
    sealed_at: dt.datetime
    streams: int
    entries: int
    root: str
    changed: int
    key_id: str
    log: Path
    refused: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"checkpoint": self.number, "sealed_at": self.sealed_at.isoformat(), "streams": self.streams,
                "entries": self.entries, "root": self.root, "changed": self.changed, "key_id": self.key_id,
                "log": str(self.log), "refused": self.refused}


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[IO[str]]:
    """The log opened for appending under an exclusive lock: one seal at a time on this host."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield fh
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _last_record_hash(path: Path) -> str:
    """The hash of the last checkpoint in the log, read from its end."""
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        end = fh.tell()
        size = 4096
        while True:
            start = max(0, end - size)
            fh.seek(start)
            tail = fh.read(end - start).rstrip(b"\n")
            if b"\n" in tail or start == 0:
                last = tail.rsplit(b"\n", 1)[-1]
                break
            size *= 2
    if not last.strip():
        return GENESIS
    try:
        return record_hash(json.loads(last))
    except ValueError:
        return ""


def _ledger_for_seal(path: Path, public_key: Ed25519PublicKey) -> Ledger:
    """The sealed state, from the state cache when it matches the log's last checkpoint (a seal every
    few minutes should not re-read years of checkpoints), otherwise by replaying the whole log."""
    cache = _state_cache(path)
    if path.exists() and cache.exists():
        try:
            saved = json.loads(cache.read_text(encoding="utf-8"))
            if saved["last_hash"] == _last_record_hash(path):
                return Ledger(state={s: (int(q), str(h), int(n)) for s, (q, h, n) in saved["state"].items()},
                              count=int(saved["count"]), entries=int(saved["entries"]),
                              last_hash=saved["last_hash"], last_root=saved["last_root"],
                              last_sealed_at=_parse_time(saved["last_sealed_at"]))
        except (ValueError, KeyError, TypeError, OSError):
            pass
    ledger = replay(path, public_key)
    if ledger.problems:
        raise SealError(_("The checkpoint log is damaged, so no checkpoint can follow it: %(problem)s") % {
            "problem": ledger.problems[0]})
    return ledger


def _write_cache(path: Path, ledger: Ledger) -> None:
    cache = _state_cache(path)
    tmp = cache.with_name(cache.name + ".tmp")
    tmp.write_text(json.dumps({
        "count": ledger.count, "entries": ledger.entries, "last_hash": ledger.last_hash,
        "last_root": ledger.last_root,
        "last_sealed_at": ledger.last_sealed_at.isoformat() if ledger.last_sealed_at else None,
        "state": {s: list(v) for s, v in ledger.state.items()}}), encoding="utf-8")
    os.replace(tmp, cache)


def _new_entries_chain(pending: list[tuple[str, int, str, int, str]]) -> tuple[set[str], list[str]]:
    """Check the entries each moved stream gained; return the streams that chain and the refusals."""
    good: set[str] = set()
    refused: list[str] = []
    for i in range(0, len(pending), _BATCH):
        batch = pending[i:i + _BATCH]
        where = Q()
        for stream, from_seq, _fh, to_seq, _th in batch:
            where |= Q(stream=stream, seq__gt=from_seq, seq__lte=to_seq)
        by_stream: dict[str, list[AuditEntry]] = {}
        for entry in AuditEntry.objects.filter(where).order_by("stream", "seq").iterator(chunk_size=2000):
            by_stream.setdefault(entry.stream, []).append(entry)
        for stream, from_seq, from_hash, to_seq, to_hash in batch:
            prev, expected = from_hash, from_seq + 1
            fault = ""
            for entry in by_stream.get(stream, []):
                if entry.seq != expected or entry.prev_hash != prev:
                    fault = _("entry seq %(seq)s does not follow the sealed history") % {"seq": expected}
                    break
                if entry_hash(entry.hashed_content(), entry.prev_hash) != entry.entry_hash:
                    fault = _("entry seq %(seq)s does not match its hash (altered)") % {"seq": entry.seq}
                    break
                prev, expected = entry.entry_hash, expected + 1
            if not fault and (expected - 1 != to_seq or prev != to_hash):
                fault = _("its entries end at seq %(seq)s, not at its head") % {"seq": expected - 1}
            if fault:
                refused.append(_("stream %(stream)s stays sealed at seq %(seq)s: %(fault)s") % {
                    "stream": stream, "seq": from_seq, "fault": fault})
            else:
                good.add(stream)
    return good, refused


def seal(now: dt.datetime | None = None) -> SealResult:
    """Append one signed checkpoint over every stream head to the checkpoint log."""
    key_file, _created = ensure_key()
    private_key = load_private_key(key_file)
    public_key = private_key.public_key()
    path = log_path()
    with _locked(path) as fh:
        ledger = _ledger_for_seal(path, public_key)
        # The time is taken before the heads are read: every entry committed before it is covered.
        sealed_at = (now or timezone.now()).astimezone(dt.UTC)
        heads = {s: (q, h) for s, q, h in StreamHead.objects.filter(seq__gt=0)
                 .values_list("stream", "seq", "entry_hash").iterator(chunk_size=5000)}
        refused: list[str] = []
        pending: list[tuple[str, int, str, int, str]] = []
        for stream, (seq, head_hash) in heads.items():
            from_seq, from_hash = ledger.state.get(stream, (0, GENESIS, 0))[:2]
            if seq > from_seq:
                pending.append((stream, from_seq, from_hash, seq, head_hash))
            elif seq < from_seq or head_hash != from_hash:
                refused.append(_("stream %(stream)s stays sealed at seq %(seq)s: its head is now at seq %(now)s "
                                 "with another hash") % {"stream": stream, "seq": from_seq, "now": seq})
        for stream, (seq, _h, _n) in ledger.state.items():
            if stream not in heads:
                refused.append(_("stream %(stream)s stays sealed at seq %(seq)s: its head is gone") % {
                    "stream": stream, "seq": seq})
        good, not_chained = _new_entries_chain(pending)
        refused += not_chained
        number = ledger.count + 1
        changed = sorted((s, to_seq, to_hash) for s, _f, _fh, to_seq, to_hash in pending if s in good)
        for stream, seq, head_hash in changed:
            ledger.entries += seq - ledger.state.get(stream, (0, GENESIS, 0))[0]
            ledger.state[stream] = (seq, head_hash, number)
        root, signer = ledger.root(), key_id(public_key)
        body: dict[str, Any] = {
            "format": FORMAT,
            "n": number,
            "sealed_at": sealed_at.isoformat(),
            "prev": ledger.last_hash,
            "streams": len(ledger.state),
            "entries": ledger.entries,
            "root": root,
            "changed": [list(c) for c in changed],
            "key_id": signer,
        }
        record = {"checkpoint": body,
                  "signature": base64.b64encode(private_key.sign(canonical(body).encode("utf-8"))).decode("ascii")}
        fh.write(canonical(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())
        ledger.count, ledger.last_hash, ledger.last_sealed_at = number, record_hash(record), sealed_at
        ledger.last_root = root
        _write_cache(path, ledger)
    return SealResult(number=number, sealed_at=sealed_at, streams=len(ledger.state), entries=ledger.entries,
                      root=root, changed=len(changed), key_id=signer, log=path, refused=refused)
