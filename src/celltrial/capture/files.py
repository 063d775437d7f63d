"""Files and signatures of file fields: checked (size cap, content sniffed, not trusted from the
browser), stored once under their SHA-256 in the data directory, and described in the form record by
name, hash, size and type. The record's audit entry carries the descriptor, so the hash is audited."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from celltrial.capture.engine.values import FILE_MAX_BYTES, FILE_TYPES, SIGNATURE_TYPES
from celltrial.core.errors import ValidationFailed

_SIGNATURE_URL = re.compile(r"^data:image/png;base64,([A-Za-z0-9+/=]+)$")


def folder() -> Path:
    return Path(settings.CELLTRIAL_DATA_DIR) / "capture-files"


def sniff(data: bytes) -> str:
    """The content type the bytes themselves say (never the browser's claim)."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return "application/octet-stream"


def store(field: str, name: str, data: bytes, *, signature: bool = False) -> dict[str, Any]:
    """Check and store one upload; the descriptor to put in the form's values."""
    if len(data) > FILE_MAX_BYTES:
        raise ValidationFailed({field: [_("The file is larger than %(mb)s MB.") % {"mb": FILE_MAX_BYTES // 2**20}]})
    if not data:
        raise ValidationFailed({field: [_("The file is empty.")]})
    kind = sniff(data)
    allowed = SIGNATURE_TYPES if signature else FILE_TYPES
    if kind not in allowed:
        raise ValidationFailed({field: [_("This kind of file is not accepted (accepted: %(types)s).") % {
            "types": ", ".join(sorted(allowed))}]})
    digest = hashlib.sha256(data).hexdigest()
    target = folder() / digest
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)
    clean_name = re.sub(r"[^\w.\- ]", "_", Path(name or "file").name)[:120] or "file"
    return {"name": clean_name, "sha256": digest, "size": len(data), "content_type": kind}


def signature(field: str, data_url: str) -> dict[str, Any] | None:
    """A signature drawn on the page (a PNG data URL); None when nothing was drawn."""
    text = (data_url or "").strip()
    if not text:
        return None
    m = _SIGNATURE_URL.match(text)
    if m is None or len(text) > FILE_MAX_BYTES * 2:
        raise ValidationFailed({field: [_("The signature could not be read; draw it again.")]})
    try:
        data = base64.b64decode(m.group(1), validate=True)
    except ValueError:
        raise ValidationFailed({field: [_("The signature could not be read; draw it again.")]}) from None
    return store(field, "signature.png", data, signature=True)


def read(digest: str) -> bytes | None:
    if not re.fullmatch(r"[0-9a-f]{64}", digest or ""):
        return None
    path = folder() / digest
    return path.read_bytes() if path.exists() else None


# Read at most one byte over the cap, so an oversized upload is refused without reading it whole.
MAX_READ = FILE_MAX_BYTES + 1
