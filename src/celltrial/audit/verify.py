"""``celltrial audit verify``: recompute every stream's chain and report the first broken entry."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from celltrial.audit.chain import GENESIS, entry_hash
from celltrial.audit.models import AuditEntry, StreamHead


@dataclass(frozen=True)
class Break:
    stream: str
    entry_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        where = f"entry #{self.entry_id} (stream {self.stream}, seq {self.seq})" if self.entry_id else f"stream {self.stream}"
        return f"{where}: {self.problem}"


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    streams: int
    first_break: Break | None

    @property
    def ok(self) -> bool:
        return self.first_break is None


def _entries() -> Iterator[AuditEntry]:
    return AuditEntry.objects.order_by("stream", "seq").iterator(chunk_size=2000)


def verify(progress: Callable[[Iterator[AuditEntry], int], Iterator[AuditEntry]] | None = None) -> VerifyResult:
    """Walk every stream in sequence order; stop at the first entry that does not chain."""
    heads = dict(StreamHead.objects.values_list("stream", "entry_hash"))
    head_seqs = dict(StreamHead.objects.values_list("stream", "seq"))
    total = AuditEntry.objects.count()
    entries: Iterator[AuditEntry] = _entries()
    if progress is not None:
        entries = progress(entries, total)

    count = 0
    seen_streams: set[str] = set()
    stream: str | None = None
    prev, expected_seq = GENESIS, 1

    def close(name: str, last_hash: str, last_seq: int) -> Break | None:
        if name not in heads:
            return Break(name, None, None, "stream has entries but no head record (head removed)")
        if heads[name] != last_hash or head_seqs[name] != last_seq:
            return Break(
                name, None, None,
                f"chain ends at seq {last_seq} but the head records seq {head_seqs[name]}: "
                "entries at the end of the stream were removed or altered",
            )
        return None

    for entry in entries:
        count += 1
        if entry.stream != stream:
            if stream is not None and (problem := close(stream, prev, expected_seq - 1)):
                return VerifyResult(count, len(seen_streams), problem)
            stream, prev, expected_seq = entry.stream, GENESIS, 1
            seen_streams.add(stream)
        if entry.seq != expected_seq:
            return VerifyResult(count, len(seen_streams), Break(
                stream, entry.id, entry.seq, f"expected seq {expected_seq}: an entry is missing or out of order"))
        if entry.prev_hash != prev:
            return VerifyResult(count, len(seen_streams), Break(
                stream, entry.id, entry.seq, "previous-hash link does not match the entry before it (reordered or removed)"))
        if entry_hash(entry.hashed_content(), entry.prev_hash) != entry.entry_hash:
            return VerifyResult(count, len(seen_streams), Break(
                stream, entry.id, entry.seq, "content does not match its hash (altered)"))
        prev, expected_seq = entry.entry_hash, expected_seq + 1
    if stream is not None and (problem := close(stream, prev, expected_seq - 1)):
        return VerifyResult(count, len(seen_streams), problem)
    for name, seq in head_seqs.items():
        if name not in seen_streams and seq > 0:
            return VerifyResult(count, len(seen_streams), Break(
                name, None, None, f"head records {seq} entries but the stream has none (all removed)"))
    return VerifyResult(count, len(seen_streams), None)
