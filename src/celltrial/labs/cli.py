"""`celltrial labs`: the labs room's commands.

    celltrial labs load-ranges FILE --site CODE   load a site laboratory's reference-range set (CSV or YAML)
    celltrial labs check-ranges FILE              read and check the file only (no database); file:line errors

Exit codes: 0 loaded (or already loaded), 2 refused (every problem is printed as ``file:line: message``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from celltrial.cli_support import add_json_flag, emit_json


def _read(path: str) -> bytes:
    file = Path(path)
    if not file.is_file():
        from celltrial.core.errors import InputError

        raise InputError(f"{path}: no such file")
    return file.read_bytes()


def _problems(problems: list[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    return 2


def _check(args: argparse.Namespace) -> int:
    from celltrial.labs.rules import RangeFileError, parse_range_file

    try:
        data = parse_range_file(_read(args.file), args.file)
    except RangeFileError as exc:
        return _problems(exc.problems)
    if args.json:
        emit_json({"lab": data.lab, "version": data.version, "rows": len(data.rows), "illustrative": data.illustrative})
    else:
        print(f"{data.lab} version {data.version}: {len(data.rows)} rows ok")
    return 0


def _load(args: argparse.Namespace) -> int:
    from celltrial.cli_django import setup_django

    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.core.errors import ValidationFailed
    from celltrial.labs import services
    from celltrial.study.interface import sites

    code = args.site or next((s.code for s in sites()), "")
    try:
        made = services.load_reference_ranges(Actor.system("celltrial labs load-ranges"), site_code=code,
                                              content=_read(args.file), name=args.file)
    except ValidationFailed as exc:
        return _problems([m for msgs in exc.errors.values() for m in msgs])
    if args.json:
        emit_json({"id": made.pk, "site": code, "lab": made.lab, "version": made.set_version, "rows": made.rows.count()})
    else:
        print(f"{made.lab} version {made.set_version} at {code}: {made.rows.count()} rows loaded")
    return 0


def register(subparsers: Any) -> None:
    labs = subparsers.add_parser("labs", help="labs: reference-range sets of the site laboratories")
    sub = labs.add_subparsers(dest="sub", metavar="SUBCOMMAND", required=True)
    p = sub.add_parser("load-ranges", help="load a site laboratory's reference-range set (CSV or YAML)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--site", metavar="CODE", help="the site whose laboratory it is (default: the first site)")
    add_json_flag(p)
    p.set_defaults(func=_load)
    p = sub.add_parser("check-ranges", help="check a reference-range file without loading it")
    p.add_argument("file", metavar="FILE")
    add_json_flag(p)
    p.set_defaults(func=_check)
