"""The Ed25519 key that signs audit checkpoints. It lives in a file outside the database.

The private key is a PKCS #8 PEM file created with mode 0600 (``settings.CELLTRIAL_SEAL_KEY_FILE``:
the data directory by default, a path from the environment in production). A key file that others
may read is refused. The public key (``celltrial audit public-key``) lets anyone check the checkpoints.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.utils.translation import gettext as _

from celltrial.core.errors import InputError


class SealKeyError(InputError):
    """The signing key or the public key cannot be used; the message says why."""


def key_path() -> Path:
    return Path(settings.CELLTRIAL_SEAL_KEY_FILE)


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of SHA-256 over its raw bytes."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")


def ensure_key(path: Path | None = None) -> tuple[Path, bool]:
    """Create the signing key if there is none; return its path and whether it was created now.

    The file is written to a private temporary name and linked into place, so two processes creating
    it at once end with one complete key, never a half-written one.
    """
    path = path or key_path()
    if path.exists():
        return path, False
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path, False
    finally:
        tmp.unlink(missing_ok=True)
    return path, True


def load_private_key(path: Path | None = None) -> Ed25519PrivateKey:
    path = path or key_path()
    try:
        mode = path.stat().st_mode
    except FileNotFoundError as exc:
        raise SealKeyError(_("There is no signing key at %(path)s; `celltrial audit seal` or `celltrial init` "
                             "creates one.") % {"path": path}) from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SealKeyError(_("The signing key %(path)s can be read by other users; make it private "
                             "(chmod 600) before sealing.") % {"path": path})
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SealKeyError(_("The signing key %(path)s is not an Ed25519 key.") % {"path": path})
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except FileNotFoundError as exc:
        raise SealKeyError(_("There is no public key at %(path)s.") % {"path": path}) from exc
    except ValueError as exc:
        raise SealKeyError(_("%(path)s is not a PEM public key.") % {"path": path}) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise SealKeyError(_("The public key %(path)s is not an Ed25519 key.") % {"path": path})
    return key


def trusted_public_key(path: str | Path | None = None) -> Ed25519PublicKey | None:
    """The public key checkpoints are checked with: the given file, the configured one, or the one of the
    signing key in this installation; None when there is none of these."""
    chosen = path or settings.CELLTRIAL_SEAL_PUBLIC_KEY_FILE
    if chosen:
        return load_public_key(Path(chosen))
    if key_path().exists():
        return load_private_key().public_key()
    return None
