"""`celltrial dictionary check FILE…`: read REDCap data dictionaries (or protocols) and print what
loads with a fallback and what is refused, with file:line. Pure: no Django, no database.

    $ python -m celltrial.study.protocol.check tests/fixtures/redcap/authored/*.csv

Exit status 0 when every file loads (warnings or not), 2 when one is refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from celltrial.study.protocol.errors import LoadWarning, ProtocolError
from celltrial.study.protocol.loader import load_dictionary, load_protocol_with_warnings


def check(path: Path) -> tuple[list[LoadWarning], ProtocolError | None]:
    """The warnings of one file, or the error that refuses it (a .yaml file is read as a protocol)."""
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            return load_protocol_with_warnings(path)[1], None
        return load_dictionary(path).warnings, None
    except ProtocolError as exc:
        return [], exc


def run(paths: Sequence[str], as_json: bool = False) -> int:
    refused = 0
    report: list[dict[str, Any]] = []
    for name in paths:
        warnings, error = check(Path(name))
        refused += error is not None
        if as_json:
            report.append({"file": name, "loads": error is None, "warnings": [asdict(w) for w in warnings],
                           "issues": [asdict(i) for i in (error.issues if error else [])]})
            continue
        if error is not None:
            print(f"{name}: refused ({len(error.issues)} problem(s))")
            print(str(error))
        else:
            print(f"{name}: loads" + (f" with {len(warnings)} warning(s)" if warnings else ""))
            for warning in warnings:
                print(str(warning))
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        print(f"{len(paths) - refused} of {len(paths)} file(s) load")
    return 2 if refused else 0


def register(subparsers: Any) -> None:
    """Hook for celltrial.cli COMMAND_MODULES: `celltrial dictionary check FILE…`."""
    parser = subparsers.add_parser("dictionary", help="REDCap data dictionaries: check what loads and how")
    sub = parser.add_subparsers(dest="dictionary_command", metavar="COMMAND", required=True)
    p = sub.add_parser("check", help="read dictionaries (CSV, API JSON) or protocols; print warnings and refusals")
    p.add_argument("paths", nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(func=lambda args: run(args.paths, args.json))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m celltrial.study.protocol.check", description=__doc__)
    parser.add_argument("paths", nargs="+", metavar="FILE")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    return run(args.paths, args.json)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
