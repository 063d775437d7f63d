"""A protocol amendment whose vital-signs form has a file field (the source document) and a signature field,
and a form record holding both: for the stored-file tests and the access matrix.

The default protocol has no file field, so the amendment is loaded as the next protocol version (built in
memory from the default, as an amendment would add two REDCap rows to forms/vitals.csv)."""

from __future__ import annotations

import base64
import zlib
from functools import lru_cache
from typing import Any

SOURCE_FIELD = "vs_source"
SIGNATURE_FIELD = "vs_signature"
PDF = b"%PDF-1.4\n% vital signs worksheet\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def png(width: int = 4, height: int = 2) -> bytes:
    """A real (tiny, white) PNG, as a drawn signature is."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (len(data).to_bytes(4, "big") + kind + data
                + zlib.crc32(kind + data).to_bytes(4, "big"))

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


@lru_cache(maxsize=1)
def amended_protocol() -> Any:
    from celltrial.study.protocol import Protocol, default_protocol_path, load_protocol

    content = load_protocol(default_protocol_path()).model_dump(mode="json", exclude_none=True)
    vitals = next(f for f in content["forms"] if f["name"] == "vitals")
    vitals["fields"] += [
        {"name": SOURCE_FIELD, "type": "file", "label": {"en": "Source document (scan)", "zh": "源文件（扫描件）"}},
        {"name": SIGNATURE_FIELD, "type": "file", "validation": "signature",
         "label": {"en": "Assessor's signature", "zh": "评估者签名"}},
    ]
    content["protocol"]["version"]["label"] = content["protocol"]["version"]["label"] + " (files)"
    return Protocol.model_validate(content)


def load_file_protocol() -> Any:
    from celltrial.core.actor import Actor
    from celltrial.study.services import store_protocol

    return store_protocol(Actor.system("test"), amended_protocol(), source_name="files.yaml",
                          reason="Amendment: vital signs source document").version


def attach(actor: Any, child: Any, *, visit: str = "SCR", name: str = "worksheet.pdf", data: bytes = PDF,
           signature: bytes | None = None, reason: str = "source document attached") -> Any:
    """Store ``data`` (and a drawn signature) through the page's file handling and save them in the
    vital-signs form of ``visit`` through the capture service, keeping the values already entered."""
    from celltrial.capture import files, services
    from celltrial.capture.engine.values import is_typed

    existing = services.record(child, visit, "vitals")
    typed = {f.name for f in services.protocol()[1].form("vitals").fields if is_typed(f)}
    values = {k: v for k, v in existing.values.items() if k in typed} if existing else {}
    values[SOURCE_FIELD] = files.store(SOURCE_FIELD, name, data)
    if signature is not None:
        values[SIGNATURE_FIELD] = files.signature(
            SIGNATURE_FIELD, "data:image/png;base64," + base64.b64encode(signature).decode())
    return services.save_form(actor, child, visit=visit, form="vitals", values=values, reason=reason,
                              complete=False if existing is None else None)
