"""`celltrial score`: score an ASD instrument from the command line.

    celltrial score --list
    celltrial score ABC_AMAN58 0,1,2,… (58 items)      celltrial score CARS2_ST --file items.csv --age 7
    celltrial score CGI_I 2 --json                      celltrial score SRS2 --t-score 68

Bad input exits with status 2 and a one-line reason (via ``CommandError``).
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path
from typing import Any

from celltrial.cli_support import CommandError, add_json_flag, emit_json

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "none", "null", ".", "-"})


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `celltrial score` to the `celltrial` command."""
    parser = subparsers.add_parser(
        "score",
        help="score an ASD instrument (ABC, CARS, CGI, SRS-2, ADOS-2, Vineland-3)",
        description="Score one administration of an ASD instrument. Items in form order, as a comma "
        "list or from --file (JSON list/object or CSV). Missing items are refused, never counted as 0.",
    )
    parser.add_argument("instrument", nargs="?", metavar="INSTRUMENT", help="instrument code (see --list)")
    parser.add_argument(
        "items", nargs="*", metavar="ITEMS", help="item scores, comma-separated (NA = missing)"
    )
    parser.add_argument("--list", action="store_true", help="list the instrument codes and exit")
    parser.add_argument("--file", type=Path, help="read items from a JSON or CSV file")
    parser.add_argument("--age", type=float, help="age in years (CARS2-ST bands depend on it)")
    parser.add_argument(
        "--key", type=Path, help="ABC_KRUG57 scoring key (JSON); or $CELLTRIAL_ABC_KRUG57_KEY"
    )
    parser.add_argument("--reverse-items", help="SRS2 reverse-scored item numbers: comma list or JSON file")
    parser.add_argument("--keyed", action="store_true", help="SRS2 item scores are already keyed")
    parser.add_argument("--t-score", type=int, help="SRS2 total T-score from the licensed norms")
    parser.add_argument("--module", help="ADOS2 module (T, 1, 2, 3, 4)")
    parser.add_argument(
        "--classification", help="ADOS2 classification (autism, autism_spectrum, non_spectrum)"
    )
    parser.add_argument(
        "--allow-unverified-bands",
        action="store_true",
        help="apply band tables not verified against a public source (CARS2-HF, CARS2-ST ≥13 y, Vineland-3)",
    )
    add_json_flag(parser)
    parser.set_defaults(func=_handle_score)


def _handle_score(args: argparse.Namespace) -> int:
    from celltrial.capture.instruments.errors import InstrumentInputError
    from celltrial.capture.instruments.registry import REGISTRY, instrument, score

    if args.list:
        return _print_list(REGISTRY, as_json=args.json)
    if not args.instrument:
        raise CommandError("give an INSTRUMENT code (see `celltrial score --list`)")
    if args.instrument.lower() == "responder":
        # `celltrial score responder <subject>` reads the stored scores: the capture room's command, which
        # starts Django (imported by name so that this pure module never imports it).
        import importlib

        return int(importlib.import_module("celltrial.capture.responder_cli").run(args))
    try:
        spec = instrument(args.instrument)
        items = _read_items(args)
        krug_key = None
        if spec.code == "ABC_KRUG57":
            from celltrial.capture.instruments.autism_behavior_checklist import load_krug_key

            krug_key = load_krug_key(args.key)
        result = score(
            spec.code,
            items,
            age_years=args.age,
            krug_key=krug_key,
            srs2_reverse_items=_reverse_items(args.reverse_items),
            srs2_already_keyed=args.keyed,
            t_score=args.t_score,
            ados2_module=args.module,
            ados2_classification=args.classification,
            allow_unverified_bands=args.allow_unverified_bands,
        )
    except InstrumentInputError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(result.as_dict())
    else:
        _print_result(result.as_dict())
    return 0


def _parse_token(position: int, token: str) -> int | float | None:
    text = token.strip()
    if text.lower() in MISSING_TOKENS:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise CommandError(f"item {position}: {text!r} is not a number (use NA for a missing item)") from None


def _read_items(args: argparse.Namespace) -> Any:
    if args.file is not None and args.items:
        raise CommandError("give items either on the command line or with --file, not both")
    if args.file is not None:
        return _read_file(args.file)
    tokens = [t for chunk in args.items for t in chunk.split(",")]
    if tokens and all("=" in t for t in tokens):
        named: dict[str, int | float | None] = {}
        for t in tokens:
            name, _, value = t.partition("=")
            named[name.strip()] = _parse_token(len(named) + 1, value)
        return named
    if len(tokens) == 1 and tokens[0].strip() == "":
        tokens = []
    return [_parse_token(i, t) for i, t in enumerate(tokens, start=1)]


def _read_file(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc
        if isinstance(data, dict) and "items" in data:
            data = data["items"]
        if isinstance(data, dict):
            return data
        if not isinstance(data, list):
            raise CommandError(f"{path}: expected a JSON list of item scores or an object with 'items'")
        return [None if v is None else _parse_token(i, str(v)) for i, v in enumerate(data, start=1)]
    rows = [row for row in csv.reader(text.splitlines()) if row]
    if rows and not all(_is_number_or_missing(c) for c in rows[0]):
        rows = rows[1:]  # header row
    cells = [cell for row in rows for cell in row]
    return [_parse_token(i, c) for i, c in enumerate(cells, start=1)]


def _is_number_or_missing(cell: str) -> bool:
    text = cell.strip()
    if text.lower() in MISSING_TOKENS:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return True


def _reverse_items(raw: str | None) -> list[int] | None:
    if raw is None:
        return None
    path = Path(raw)
    if path.suffix.lower() == ".json" and path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: invalid JSON ({exc.msg} at line {exc.lineno})") from exc
        values = data.get("reverse_items") if isinstance(data, dict) else data
        if not isinstance(values, list):
            raise CommandError(f"{path}: expected a JSON list of item numbers or {{'reverse_items': [...]}}")
        # No int() here: int(2.7) would silently key item 2; the scorer names any non-integer.
        return values
    try:
        return [int(t) for t in raw.split(",") if t.strip()]
    except ValueError:
        raise CommandError(f"--reverse-items: {raw!r} is not a comma list of item numbers") from None


def _print_list(registry: Any, *, as_json: bool) -> int:
    rows = [
        {
            "code": s.code,
            "name_en": s.name_en,
            "name_zh": s.name_zh,
            "expects": s.expects,
            "missing_items": s.missing_rule,
            "source": s.source,
        }
        for s in registry.values()
    ]
    if as_json:
        emit_json(rows)
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="ASD instruments")
    for column in ("code", "name", "input", "missing items"):
        table.add_column(column)
    for r in rows:
        table.add_row(r["code"], f"{r['name_en']}\n{r['name_zh']}", r["expects"], r["missing_items"])
    Console(width=120).print(table)
    return 0


def _print_result(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{result['instrument']}", show_header=True)
    table.add_column("scale")
    table.add_column("score", justify="right")
    table.add_column("max", justify="right")
    for sub in result["subscales"]:
        table.add_row(f"{sub['label_en']} / {sub['label_zh']}", str(sub["score"]), str(sub["maximum"]))
    table.add_row("Total", "—" if result["total"] is None else str(result["total"]), "")
    console = Console(width=120)
    console.print(table)
    for key, label in (
        ("t_score", "T-score (entered)"),
        ("age_years", "Age (years)"),
        ("module", "Module"),
        ("classification", "Classification"),
    ):
        if result.get(key) is not None:
            console.print(
                f"{label}: {result[key]:g}" if isinstance(result[key], float) else f"{label}: {result[key]}"
            )
    band = result["band"]
    if band is not None:
        console.print(f"Band: {band['label_en']} / {band['label_zh']} ({result['band_table']})")
    elif result["band_table"] is None:
        console.print("Band: — (no published band for this instrument/input)")
    else:
        console.print("Band: not derived (see note)")
    for note in result["notes"]:
        console.print(f"Note: {note}")
    console.print(f"Source: {result['source']}")
