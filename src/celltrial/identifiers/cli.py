"""Command-line entry point of the identifiers room: check-char.

``celltrial check-char ID``
  - a full celltrial id (subject, donor, lot, unit) -> validated; exit 0 valid, 1 wrong check character
  - a celltrial id without its check character (e.g. ASD-01-0007) -> prints the full id, exit 0
  - anything else -> the ISO 7064 MOD 37-2 check character of the string (spaces ignored), exit 0;
    with ``--validate`` the last character is taken as the check character and verified (exit 0 / 1)
``--system mod11-2`` uses ISO 7064 MOD 11-2 (digits, check 0-9 or X) for raw strings.
Exit 2 for input that cannot be checked (characters outside the system's set).
"""

from __future__ import annotations

import argparse
from typing import Any

from celltrial.cli_support import CommandError, add_json_flag, emit_json


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this room's subcommands to the `celltrial` command."""
    parser = subparsers.add_parser(
        "check-char",
        help="compute or verify an ISO 7064 check character (celltrial ids, ISBT 128 DIN payloads)",
        description="Validate a celltrial identifier, complete one typed without its check character, or "
        "compute the ISO 7064 MOD 37-2 check character of any string. Exit 0 ok, 1 check character "
        "does not match, 2 bad input.",
    )
    parser.add_argument("id", metavar="ID", help="identifier or payload (quote it if it contains spaces)")
    parser.add_argument("--validate", action="store_true", help="treat the last character of a raw string as its check character")
    parser.add_argument("--system", choices=("mod37-2", "mod11-2"), default="mod37-2", help="check system for raw strings")
    add_json_flag(parser)
    parser.set_defaults(func=_check_char)


def _check_char(args: argparse.Namespace) -> int:
    from celltrial.identifiers import formats, iso7064

    text = args.id.strip()
    if not text.isascii():
        # Bad input (exit 2), not a wrong check character: '٠١' or '０１' look like digits but are not.
        raise CommandError(f"{text!r} contains non-ASCII characters: use only 0-9, A-Z, '-', '*' and spaces")
    try:
        result = _evaluate(text, args.validate, args.system, formats, iso7064)
    except (iso7064.CheckCharacterError, formats.IdentifierError) as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(result)
    else:
        print(result["message"])
    return 0 if result.get("valid", True) else 1


def _evaluate(text: str, validate: bool, system: str, formats: Any, iso7064: Any) -> dict[str, Any]:
    if system == "mod37-2":
        kind = formats.detect_kind(text)
        if kind is not None and not validate:
            try:
                full = formats.complete_identifier(text)
            except formats.IdentifierError:
                full = None
            if full is not None:
                return {"input": text, "kind": kind.value, "identifier": full, "check_character": full[-1],
                        "message": f"{full}  ({kind.value} id; check character {full[-1]!r})"}
            check = formats.validate_identifier(text)
            message = f"{text}: valid {kind.value} id" if check.valid else check.problem
            return {"input": text, "kind": kind.value, "valid": check.valid, "problem": check.problem, "message": message}
    if validate:
        valid = iso7064.mod37_2_is_valid(text) if system == "mod37-2" else iso7064.mod11_2_is_valid(text)
        body, given = text.replace(" ", "")[:-1], text.replace(" ", "")[-1].upper()
        expected = iso7064.mod37_2_check_character(body) if system == "mod37-2" else iso7064.mod11_2_check_character(body)
        message = (f"{text}: check character {given!r} is correct ({system})" if valid
                   else f"{text}: check character {given!r} does not match; expected {expected!r} ({system})")
        return {"input": text, "system": system, "valid": valid, "expected": expected, "message": message}
    if system == "mod37-2":
        checksum = iso7064.mod37_2_checksum(text)
        char = iso7064.MOD37_2_ALPHABET[checksum]
        return {"input": text, "system": system, "check_character": char, "checksum": checksum,
                "isbt128_barcode_check_value": checksum + iso7064.ISBT128_BARCODE_CHECK_OFFSET,
                "message": f"{text}: check character {char!r} (ISO 7064 MOD 37-2 checksum {checksum}; "
                f"ISBT 128 bar-code check value {checksum + iso7064.ISBT128_BARCODE_CHECK_OFFSET})"}
    char = iso7064.mod11_2_check_character(text)
    return {"input": text, "system": system, "check_character": char,
            "message": f"{text}: check character {char!r} (ISO 7064 MOD 11-2)"}
