"""Reading back a stored file or signature of a form record (source-data verification, review).

:func:`read_file` checks ``capture.view`` at the participant's site inside, finds the field in the data
dictionary in force (only a ``file`` or ``signature`` field that holds a stored descriptor), reads the
bytes from the data directory and re-hashes them: bytes that no longer match the recorded SHA-256 (or are
gone) are refused with :class:`StorageFault` and logged, never served. Each read is recorded in the form
record's audit stream as an ``export`` entry (who read which file, its name, hash and size), so the trail
of a record shows who opened its source documents as well as who changed it.

:func:`file_response` is the answer the page and the API both send: the content type sniffed from the
bytes (never the uploader's claim), ``Content-Disposition`` with an ASCII fallback and the RFC 6266 /
RFC 5987 ``filename*`` for a non-ASCII name, ``nosniff`` and ``private, no-store``.

A withdrawal that said the data may not be used does not hide a record from the room's readers (the form
page shows it too): it binds the exports (``participants.interface.data_use_allowed``), while the records
and their source documents are kept and stay open to monitoring, audit and inspection.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts.permissions import actor_may
from celltrial.audit.models import Action
from celltrial.audit.trail import append_for
from celltrial.capture import files, services
from celltrial.capture.engine.values import FILE_TYPES, SIGNATURE_TYPES, field_type
from celltrial.capture.models import FormRecord
from celltrial.capture.permissions import CAPTURE_VIEW
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, InputError, ValidationFailed

log = logging.getLogger(__name__)

FILE_KINDS = frozenset({"file", "signature"})
READ_REASON = gettext_noop("stored file downloaded")
_EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:;*?<>|%]')


class FileMissing(InputError):
    """No stored file here: no such form or field, not a file field, or nothing stored in it."""


class StorageFault(InputError):
    """The stored bytes are gone or no longer match the SHA-256 recorded at upload."""


@dataclass(frozen=True)
class Download:
    record: FormRecord
    field: str
    kind: str  # "file" or "signature"
    name: str
    sha256: str
    content_type: str  # sniffed from the bytes as they were read
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def inline(self) -> bool:
        """A drawn signature (a PNG) may be shown in the page; every other file is downloaded."""
        return self.kind == "signature" and self.content_type == "image/png"


def stored_descriptor(form_def: Any, values: Mapping[str, Any], field: str) -> tuple[str, Mapping[str, Any]] | None:
    """The kind and descriptor of ``field`` when the dictionary types it as a file or signature and the
    values hold one; else None."""
    f = next((x for x in form_def.fields if x.name == field), None)
    if f is None or field_type(f) not in FILE_KINDS:
        return None
    value = values.get(field)
    if not isinstance(value, Mapping) or not re.fullmatch(r"[0-9a-f]{64}", str(value.get("sha256", ""))):
        return None
    return field_type(f), value


def read_file(actor: Actor, participant: Any, *, visit: str, form: str, repeat: int, field: str) -> Download:
    """The bytes of one stored file or signature of one form record, checked against their SHA-256; the
    read is audited."""
    if not actor_may(actor, CAPTURE_VIEW, participant.site.code):
        raise AccessDenied(CAPTURE_VIEW, participant.site.code)
    missing = FileMissing(_("This form has no stored file in that field."))
    _n, p = services.protocol()
    try:
        _visit, form_def = services.form_definition(p, visit, form)
    except ValidationFailed:
        raise missing from None
    record = services.record(participant, visit, form, repeat)
    found = stored_descriptor(form_def, record.values, field) if record is not None else None
    if record is None or found is None:
        raise missing
    kind, descriptor = found
    digest = str(descriptor["sha256"])
    data = files.read(digest)
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        log.error("capture file refused: %s of %s (record %s) by %s: %s (sha256 %s)", field, record, record.pk,
                  actor.username, "missing from storage" if data is None else "bytes do not match their SHA-256",
                  digest)
        raise StorageFault(_("The stored file was not sent: its bytes no longer match the SHA-256 recorded at "
                             "upload (the storage is corrupted or the file was altered). The incident is "
                             "logged; tell the data manager.") if data is not None else
                           _("The stored file was not sent: it is missing from the file storage. The incident "
                             "is logged; tell the data manager."))
    sniffed = files.sniff(data)
    content_type = sniffed if sniffed in FILE_TYPES | SIGNATURE_TYPES else "application/octet-stream"
    name = str(descriptor.get("name") or "")
    with transaction.atomic():
        append_for(actor, record, Action.EXPORT, {"file": [None, {
            "field": field, "name": name[:200], "sha256": digest, "size": len(data), "content_type": content_type}]},
            reason=READ_REASON)
    return Download(record=record, field=field, kind=kind, name=name, sha256=digest, content_type=content_type,
                    data=data)


def safe_filename(name: str, content_type: str, fallback_stem: str) -> str:
    """The file's name without path, control or quoting characters, ending in its type's extension."""
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = _UNSAFE.sub("_", base).strip(" .")[:120]
    if not base.strip("._ "):
        base = fallback_stem
    ext = _EXTENSIONS.get(content_type, "")
    if ext and not base.lower().endswith((ext, ".jpeg") if ext == ".jpg" else (ext,)):
        base += ext
    return base


def content_disposition(disposition: str, filename: str, fallback_stem: str) -> str:
    """RFC 6266: a quoted ASCII ``filename`` for every client, and ``filename*`` (RFC 5987, UTF-8) when the
    name is not plain ASCII."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""

    def plain(text: str) -> str:
        return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()

    ascii_stem = re.sub(r"[^A-Za-z0-9._\- ]", "_", plain(stem)).strip(" ._")
    ascii_ext = re.sub(r"[^A-Za-z0-9]", "", plain(ext))
    ascii_name = (ascii_stem or fallback_stem) + (f".{ascii_ext}" if ascii_ext else "")
    header = f'{disposition}; filename="{ascii_name}"'
    if ascii_name != filename:
        header += f"; filename*=UTF-8''{quote(filename, safe='')}"
    return header


def file_response(found: Download) -> HttpResponse:
    response = HttpResponse(found.data, content_type=found.content_type)
    filename = safe_filename(found.name, found.content_type, found.field)
    response["Content-Disposition"] = content_disposition("inline" if found.inline else "attachment", filename,
                                                          found.field)
    response["Content-Length"] = str(found.size)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Opened on its own, the file runs nothing and loads nothing.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # RFC 9530: the receiver can check the bytes against the hash recorded at upload.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(found.sha256)).decode()}:"
    return response
