"""`celltrial keys`: the identity vault's keys.

    celltrial keys status          the key file, its keys and how many vault rows each one encrypted
    celltrial keys rotate          a new key first; every vault row and scan re-encrypted under it, in batches
    celltrial keys rotate --resume finish an interrupted rotation (no new key)
    celltrial keys retire          drop from the key file the keys no row uses any more

Rotation needs no downtime: the old keys stay in the file while rows are re-encrypted, and running
web workers re-read the file as soon as it changes, so every row stays readable throughout.
"""

from __future__ import annotations

import argparse
from typing import Any

from celltrial.cli_django import setup_django
from celltrial.cli_support import add_json_flag, emit_json, progress


def _status(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.participants import vault
    from celltrial.participants.services import key_usage

    ring = vault.keyring()
    usage = key_usage()
    if args.json:
        emit_json({"key_file": str(ring.path), "primary": ring.primary_id,
                   "keys": [{"id": kid, "rows": usage.get(kid, 0)} for kid in ring.ids],
                   "unknown_keys": sorted(set(usage) - set(ring.ids))})
        return 0
    print(f"key file {ring.path}")
    for kid in ring.ids:
        mark = " (primary: encrypts new data)" if kid == ring.primary_id else ""
        print(f"  {kid}  {usage.get(kid, 0):>7} rows{mark}")
    missing = sorted(set(usage) - set(ring.ids))
    if missing:
        print(f"rows encrypted with keys not in the file: {', '.join(missing)}")
        return 1
    return 0


def _rotate(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.participants.services import rotate_vault_key

    result = rotate_vault_key(Actor.system("celltrial keys rotate"), new_key=not args.resume,
                              batch_size=args.batch_size,
                              progress=lambda items, total: progress(items, total, "re-encrypting the vault"))
    payload = {"old_primary": result.old_primary, "new_primary": result.new_primary,
               "identities": result.identities, "consent_records": result.consent_records, "scans": result.scans,
               "remaining": result.remaining}
    if args.json:
        emit_json(payload)
    else:
        print(f"vault key {result.old_primary} -> {result.new_primary}: re-encrypted {result.identities} identities, "
              f"{result.consent_records} consent records ({result.scans} scans); old keys kept for reading "
              "(`celltrial keys retire` removes the unused ones)")
    return 0 if not any(result.remaining.values()) else 1


def _retire(args: argparse.Namespace) -> int:
    setup_django()
    from celltrial.participants import vault
    from celltrial.participants.services import key_usage

    removed = vault.retire_keys(set(key_usage()))
    print(f"removed {len(removed)} unused key(s){': ' + ', '.join(removed) if removed else ''}")
    return 0


def register(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help="the identity vault's keys: status, rotate, retire")
    sub = keys.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("status", help="the key file, its keys and the rows each encrypted")
    add_json_flag(p)
    p.set_defaults(func=_status)
    p = sub.add_parser("rotate", help="put a new key first and re-encrypt every vault row and scan under it")
    p.add_argument("--resume", action="store_true", help="finish an interrupted rotation without a new key")
    p.add_argument("--batch-size", type=int, default=200, help="rows per transaction (default 200)")
    add_json_flag(p)
    p.set_defaults(func=_rotate)
    p = sub.add_parser("retire", help="drop the keys no vault row uses any more")
    p.set_defaults(func=_retire)
