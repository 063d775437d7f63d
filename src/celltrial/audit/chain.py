"""Hash-chain arithmetic for audit entries (pure: no Django).

Each entry's hash covers its own content and the hash of the entry before it in the same stream.
Streams are per object (``study.site:3``), so writers to different objects never wait on each
other; altering, removing or reordering an entry breaks the chain of its stream.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64


def jsonable(value: Any) -> Any:
    """Turn a model field value into the JSON form kept in the audit trail (stable on every database)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return str(value)


def canonical(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(payload: Mapping[str, Any], prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of the entry's content and the previous hash of its stream."""
    body = canonical({"content": payload, "prev": prev_hash})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def content_hash(payload: Any) -> str:
    """Hash of any JSON-able content (used for signatures and decision snapshots)."""
    return hashlib.sha256(canonical({"content": jsonable(payload)}).encode("utf-8")).hexdigest()
