"""Hash-chain arithmetic for audit entries (pure: no Django).

Each entry's hash covers its own content and the hash of the entry before it in the same stream.
Streams are per object (``study.site:3``), so writers to different objects never wait on each
other; altering, removing or reordering an entry breaks the chain of its stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from celltrial.core.canonical import canonical

GENESIS = "0" * 64


def entry_hash(payload: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the entry's content and the previous hash of its stream."""
    body = canonical({"content": payload, "prev": prev_hash})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()
