"""Merkle tree hash over the heads of every stream (pure: no Django).

The tree follows RFC 6962 §2.1 (Certificate Transparency): a leaf is ``SHA-256(0x00 || data)``, an
inner node ``SHA-256(0x01 || left || right)``, a tree of n > 1 leaves splits at the largest power of two
below n, and the empty tree hashes the empty string. The distinct prefixes keep a leaf from passing for
a node. A leaf here is one stream head, ``[stream, seq, entry_hash]`` in canonical JSON, and the leaves
are sorted by stream name so that the root depends on the heads only, not on the order they were read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from celltrial.core.canonical import canonical


def head_leaf(stream: str, seq: int, entry_hash: str) -> bytes:
    """The leaf hash of one stream head."""
    data = canonical([stream, seq, entry_hash]).encode("utf-8")
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """RFC 6962 Merkle tree hash of the given leaf hashes, in order."""
    if not leaves:
        return hashlib.sha256(b"").digest()

    def mth(lo: int, hi: int) -> bytes:
        if hi - lo == 1:
            return leaves[lo]
        k = _largest_power_of_two_below(hi - lo)
        return _node(mth(lo, lo + k), mth(lo + k, hi))

    return mth(0, len(leaves))


def heads_root(heads: Iterable[tuple[str, int, str]]) -> str:
    """Hex root over (stream, seq, entry_hash) heads, sorted by stream."""
    return tree_hash([head_leaf(s, q, h) for s, q, h in sorted(heads)]).hex()
