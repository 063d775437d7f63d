"""The identity vault's keys and encrypted fields.

Names, dates of birth, ID-card and phone numbers, addresses and witnesses' names are stored as Fernet
tokens (AES-128-CBC with HMAC-SHA256, from the ``cryptography`` package); scans of signed paper
forms are encrypted files. The keys live outside the database, in a key file:

- embedded install: ``<data dir>/vault.keys``, created 0600 on first use (or by ``celltrial init``
  through :func:`ensure_vault_key`);
- production: the path in ``CELLTRIAL_VAULT_KEY_FILE`` (a secret mount). There the file is never
  created on the fly: several web workers creating their own key would each encrypt with a key the
  others cannot read, so a missing file is an error until ``celltrial init`` creates it.

The file is JSON: ``{"keys": [{"id", "key", "created"}, ...], "index_key": ...}``. The first key
encrypts; every key decrypts (``MultiFernet``). ``celltrial keys rotate`` puts a new key first and
re-encrypts the rows; the file is re-read whenever it changes on disk, so running workers pick up the
new key before any row needs it, and nothing has to stop. The ``index_key`` keys a blind index
(HMAC-SHA256) of ID-card numbers, so a child already screened is found without decrypting anything.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models

from celltrial.core.errors import InputError

KEY_FILE_ENV = "CELLTRIAL_VAULT_KEY_FILE"
_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], KeyRing]] = {}


class VaultKeyError(RuntimeError):
    """The vault's key file is missing, unreadable, or lacks the key a record was encrypted with."""


class Revealed(str):
    """A decrypted value: an ordinary string that never shows itself in a repr (tracebacks, debug logs)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'‹personal data›'"


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[bytes, ...]
    index_key: bytes
    path: Path

    @property
    def primary_id(self) -> str:
        return key_id(self.keys[0])

    @property
    def ids(self) -> list[str]:
        return [key_id(k) for k in self.keys]

    @property
    def fernet(self) -> MultiFernet:
        return MultiFernet([Fernet(k) for k in self.keys])

    def encrypt(self, data: bytes) -> bytes:
        return self.fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self.fernet.decrypt(token)
        except InvalidToken as exc:
            raise VaultKeyError(
                f"a vault record cannot be decrypted with the keys in {self.path} (keys {', '.join(self.ids)}); "
                "was a key removed from the key file?") from exc

    def rotate(self, token: bytes) -> bytes:
        return self.fernet.rotate(token)

    def blind_index(self, text: str) -> str:
        return hmac.new(self.index_key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def key_file_path() -> tuple[Path, bool]:
    """The key file and whether it comes from the environment (then it is never created lazily)."""
    configured = getattr(settings, "CELLTRIAL_VAULT_KEY_FILE", None) or os.environ.get(KEY_FILE_ENV, "")
    if configured:
        return Path(configured), True
    return Path(settings.CELLTRIAL_DATA_DIR) / "vault.keys", False


def _new_key_entry() -> dict[str, str]:
    key = Fernet.generate_key()
    return {"id": key_id(key), "key": key.decode("ascii"), "created": dt.datetime.now(dt.UTC).isoformat()}


def _write(path: Path, payload: dict[str, Any], *, exclusive: bool) -> None:
    """Write the key file with mode 0600 from the start (never world-readable, not even briefly)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = (json.dumps(payload, indent=1) + "\n").encode("ascii")
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)


def ensure_vault_key(path: Path | None = None) -> Path:
    """Create the vault key file (mode 0600) if it does not exist; return its path.

    ``celltrial init`` calls this. Safe to call from several processes at once: only one creates it.
    """
    target = path or key_file_path()[0]
    if not target.exists():
        payload = {"keys": [_new_key_entry()],
                   "index_key": base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")}
        with contextlib.suppress(FileExistsError):  # another process made it first
            _write(target, payload, exclusive=True)
    return target


def _read(path: Path) -> KeyRing:
    try:
        payload = json.loads(path.read_text(encoding="ascii"))
        keys = tuple(entry["key"].encode("ascii") for entry in payload["keys"])
        index_key = base64.urlsafe_b64decode(payload["index_key"])
        for k in keys:
            Fernet(k)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise VaultKeyError(f"the vault key file {path} cannot be read: {exc}") from exc
    if not keys:
        raise VaultKeyError(f"the vault key file {path} holds no key")
    return KeyRing(keys, index_key, path)


def keyring() -> KeyRing:
    """The key ring, re-read whenever the file changes (a rotation in another process)."""
    path, from_environment = key_file_path()
    if not path.exists():
        if from_environment:
            raise VaultKeyError(f"the vault key file {path} ({KEY_FILE_ENV}) does not exist: run `celltrial init`")
        ensure_vault_key(path)
    stat = path.stat()
    stamp = (stat.st_mtime_ns, stat.st_size)
    with _lock:
        cached = _cache.get(str(path))
        if cached is not None and cached[0] == stamp:
            return cached[1]
        ring = _read(path)
        _cache[str(path)] = (stamp, ring)
        return ring


def add_primary_key() -> KeyRing:
    """Put a new key first in the key file (old keys stay, so every record remains readable)."""
    ring = keyring()
    payload = json.loads(ring.path.read_text(encoding="ascii"))
    payload["keys"].insert(0, _new_key_entry())
    _write(ring.path, payload, exclusive=False)
    return keyring()


def retire_keys(keep: set[str]) -> list[str]:
    """Remove from the key file every key not in ``keep`` (the primary always stays); return the removed ids."""
    ring = keyring()
    payload = json.loads(ring.path.read_text(encoding="ascii"))
    kept: list[dict[str, str]] = []
    removed: list[dict[str, str]] = []
    for i, entry in enumerate(payload["keys"]):
        (kept if i == 0 or entry["id"] in keep else removed).append(entry)
    payload["keys"] = kept
    _write(ring.path, payload, exclusive=False)
    keyring()
    return [e["id"] for e in removed]


def encrypt_text(value: str) -> str:
    return keyring().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> Revealed:
    return Revealed(keyring().decrypt(token.encode("ascii")).decode("utf-8"))


class EncryptedTextField(models.TextField):
    """A text column that holds a Fernet token; the model attribute holds the decrypted text.

    Every save encrypts again with the newest key (so re-saving a row is how a rotation re-encrypts
    it); blank stays blank. Encrypted columns cannot be searched: a lookup other than ``isnull`` is
    refused, since it could never match a token.
    """

    description = "Text encrypted with the identity vault key"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return ""
        return decrypt_text(value)

    def to_python(self, value: Any) -> Any:
        if value is None:
            return ""
        return value if isinstance(value, str) else str(value)

    def get_prep_value(self, value: Any) -> Any:
        if value in (None, ""):
            return ""
        return encrypt_text(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            raise InputError(f"{self.name} is encrypted and cannot be searched")
        return super().get_lookup(lookup_name)


def storage_dir(kind: str) -> Path:
    """Where the room keeps files: consent documents (plain) and scans of signed forms (encrypted)."""
    path = Path(settings.CELLTRIAL_DATA_DIR) / "participants" / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
