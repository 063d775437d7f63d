"""Command-line entry points of the product room: release-check, donor-check, dose (pure), and
load-specification (loads a new release-specification version into the database, audited).

Exit codes (documented in docs/rules.md):
  release-check  0 release, 1 reject, 2 bad input
  donor-check    0 eligible, 1 ineligible, 3 incomplete (results missing), 2 bad input
  dose           0 computed (and delivered within tolerance if given), 1 delivered outside tolerance, 2 bad input
  load-specification  0 loaded, 1 refused (every problem listed as file:line: field: message), 2 bad input
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from celltrial.cli_support import CommandError, add_json_flag, emit_json

if TYPE_CHECKING:
    from celltrial.product.rules import DonorEligibility, ReleaseEvaluation


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this room's subcommands to the `celltrial` command."""
    release = subparsers.add_parser(
        "release-check",
        help="judge a lot's QC results against a release specification",
        description="Judge a lot's QC results against a release specification. Every test is listed; "
        "a missing required result blocks release. Exit 0 release, 1 reject, 2 bad input.",
    )
    release.add_argument("--spec", metavar="FILE", help="specification YAML/JSON (default: the shipped hbmmsc-release v1)")
    release.add_argument("--results", metavar="FILE", required=True, help="lot QC results YAML/JSON")
    release.add_argument("--weight", metavar="KG", type=float, help="recipient weight in kg (overrides the results file)")
    add_json_flag(release)
    release.set_defaults(func=_release_check)

    donor = subparsers.add_parser(
        "donor-check",
        help="judge donor eligibility (age, infectious-disease markers, history)",
        description="Judge a donor against the donor eligibility rule set. Give --file, or flags. "
        "Exit 0 eligible, 1 ineligible, 3 incomplete, 2 bad input.",
    )
    donor.add_argument("--file", metavar="FILE", help="donor record YAML/JSON")
    donor.add_argument("--rules", metavar="FILE", help="donor rule set YAML/JSON (default: shipped donor-eligibility v1)")
    donor.add_argument("--donor-id", help="donor identifier")
    donor.add_argument("--age", type=int, metavar="YEARS", help="age in completed years")
    donor.add_argument("--date-of-birth", metavar="YYYY-MM-DD")
    donor.add_argument("--assessment-date", metavar="YYYY-MM-DD")
    donor.add_argument("--marker", action="append", default=[], metavar="CODE=RESULT", help="e.g. hbsag=negative (repeat)")
    donor.add_argument("--history", action="append", default=[], metavar="CODE=yes|no", help="e.g. malignancy=no (repeat)")
    add_json_flag(donor)
    donor.set_defaults(func=_donor_check)

    dose = subparsers.add_parser(
        "dose",
        help="viable cells and volume for a per-kg dose; delivered-dose tolerance",
        description="viable cells = dose (cells/kg) × weight (kg, capped); volume (mL) = cells ÷ viable "
        "concentration (cells/mL). Exit 0 ok, 1 delivered outside tolerance, 2 bad input.",
    )
    dose.add_argument("--dose", type=float, required=True, metavar="CELLS_PER_KG", help="dose in viable cells/kg")
    dose.add_argument("--weight", type=float, required=True, metavar="KG", help="screening / Day -1 body weight in kg")
    dose.add_argument("--concentration", type=float, required=True, metavar="CELLS_PER_ML", help="viable cells/mL of the product")
    dose.add_argument("--delivered-cells", type=float, metavar="CELLS", help="viable cells actually delivered, to check tolerance")
    dose.add_argument("--tolerance", type=float, default=0.20, metavar="FRACTION", help="allowed deviation (default 0.20 = ±20%%)")
    cap = dose.add_mutually_exclusive_group()
    cap.add_argument("--weight-cap", type=float, default=60.0, metavar="KG", help="protocol weight cap (default 60 kg, ILLUSTRATIVE)")
    cap.add_argument("--no-weight-cap", action="store_true", help="dose on the full body weight")
    add_json_flag(dose)
    dose.set_defaults(func=_dose)

    spec = subparsers.add_parser(
        "load-specification",
        help="validate a release-specification file and load it as the version in force for new lots",
        description="Validate a release specification (YAML/JSON) and load it into the database, audited. "
        "Every problem is listed as file:line: field: message. Exit 0 loaded, 1 refused, 2 bad input.",
    )
    spec.add_argument("path", metavar="FILE")
    spec.add_argument("--reason", default="", help="why this version is loaded (change control reference)")
    spec.add_argument("--as-user", help="load as this user (must hold the trial-wide QA role)")
    add_json_flag(spec)
    spec.set_defaults(func=_load_specification)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


# ---------------------------------------------------------------- release-check


def _release_check(args: argparse.Namespace) -> int:
    from celltrial.product.rules import (
        Decision,
        RuleInputError,
        default_specification,
        evaluate_release,
        load_results,
        load_specification,
    )

    try:
        spec = load_specification(args.spec) if args.spec else default_specification()
        results = load_results(args.results)
        evaluation = evaluate_release(spec, results, weight_kg=args.weight)
    except RuleInputError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(evaluation.to_dict())
    else:
        _print_release(evaluation)
    return 0 if evaluation.decision is Decision.RELEASE else 1


_STATUS_STYLE = {"pass": "green", "fail": "bold red", "missing": "bold red", "not tested": "yellow"}


def _print_release(evaluation: ReleaseEvaluation) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=f"Lot {evaluation.lot or '(unnamed)'} — specification {evaluation.specification}")
    for column in ("Test", "Requirement", "Observed", "Result"):
        table.add_column(column)
    for o in evaluation.outcomes:
        style = _STATUS_STYLE[o.status.value]
        table.add_row(o.code, o.requirement, o.observed or "—", f"[{style}]{o.status.value.upper()}[/]")
    console.print(table)
    for o in evaluation.failures:
        console.print(f"  {o.code}: {o.reason}")
    if evaluation.unused_results:
        console.print(f"  note: results not used by this specification: {', '.join(evaluation.unused_results)}")
    console.print(evaluation.summary)


# ---------------------------------------------------------------- donor-check


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for item in items:
        code, sep, value = item.partition("=")
        if not sep or not code.strip() or not value.strip():
            raise CommandError(f"{flag} expects CODE=VALUE, got {item!r}")
        pairs[code.strip()] = value.strip()
    return pairs


def _donor_from_flags(args: argparse.Namespace) -> dict[str, Any]:
    history: dict[str, bool] = {}
    for code, answer in _pairs(args.history, "--history").items():
        if answer.lower() not in ("yes", "no", "true", "false"):
            raise CommandError(f"--history {code} must be yes or no, got {answer!r}")
        history[code] = answer.lower() in ("yes", "true")
    return {
        "donor_id": args.donor_id,
        "age_years": args.age,
        "date_of_birth": args.date_of_birth,
        "assessment_date": args.assessment_date,
        "markers": _pairs(args.marker, "--marker"),
        "history": history,
    }


def _donor_check(args: argparse.Namespace) -> int:
    from celltrial.product.rules import (
        DonorDecision,
        RuleInputError,
        default_donor_rules,
        donor_from_mapping,
        evaluate_donor,
        load_donor,
        load_donor_rules,
    )

    uses_flags = any([args.donor_id, args.age is not None, args.date_of_birth, args.assessment_date, args.marker, args.history])
    if args.file and uses_flags:
        raise CommandError("give either --file or donor flags (--age, --marker, ...), not both")
    if not args.file and not uses_flags:
        raise CommandError("nothing to check: give --file FILE or donor flags such as --age and --marker CODE=RESULT")
    try:
        rules = load_donor_rules(args.rules) if args.rules else default_donor_rules()
        donor = load_donor(args.file) if args.file else donor_from_mapping(_donor_from_flags(args))
        eligibility = evaluate_donor(donor, rules)
    except RuleInputError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(eligibility.to_dict())
    else:
        _print_donor(eligibility)
    return {DonorDecision.ELIGIBLE: 0, DonorDecision.INELIGIBLE: 1, DonorDecision.INCOMPLETE: 3}[eligibility.decision]


_CRITERION_STYLE = {"met": "green", "not met": "bold red", "missing": "yellow", "recorded": "dim"}


def _print_donor(eligibility: DonorEligibility) -> None:
    from rich.table import Table

    console = _console()
    table = Table(title=f"Donor {eligibility.donor_id or '(unnamed)'} — rules {eligibility.rule_set}")
    for column in ("Criterion", "Observed", "Status", "Reason"):
        table.add_column(column)
    for c in eligibility.criteria:
        table.add_row(c.name, c.observed or "—", f"[{_CRITERION_STYLE[c.status.value]}]{c.status.value.upper()}[/]", c.reason)
    console.print(table)
    console.print(eligibility.summary)


# ---------------------------------------------------------------- dose


def _dose(args: argparse.Namespace) -> int:
    from celltrial.product.rules import RuleInputError, check_tolerance, plan_dose

    try:
        plan = plan_dose(args.dose, args.weight, args.concentration, None if args.no_weight_cap else args.weight_cap)
        check = (
            check_tolerance(plan.viable_cells, args.delivered_cells, args.tolerance)
            if args.delivered_cells is not None
            else None
        )
    except RuleInputError as exc:
        raise CommandError(str(exc)) from exc
    payload: dict[str, Any] = {
        "dose_cells_per_kg": plan.dose_cells_per_kg,
        "weight_kg": plan.weight_kg,
        "dosing_weight_kg": plan.dosing_weight_kg,
        "weight_capped": plan.weight_capped,
        "viable_cells": plan.viable_cells,
        "viable_concentration_cells_per_ml": plan.viable_concentration_cells_per_ml,
        "volume_ml": plan.volume_ml,
    }
    if check is not None:
        payload["delivered"] = {
            "delivered_cells": check.delivered_cells,
            "deviation_fraction": check.deviation_fraction,
            "tolerance_fraction": check.tolerance_fraction,
            "within_tolerance": check.within_tolerance,
            "reason": check.reason,
        }
    if args.json:
        emit_json(payload)
    else:
        console = _console()
        capped = f" (capped from {plan.weight_kg:g} kg)" if plan.weight_capped else ""
        console.print(f"dose            {plan.dose_cells_per_kg:.4g} viable cells/kg")
        console.print(f"dosing weight   {plan.dosing_weight_kg:g} kg{capped}")
        console.print(f"viable cells    {plan.viable_cells:.4g} cells")
        console.print(f"concentration   {plan.viable_concentration_cells_per_ml:.4g} viable cells/mL")
        console.print(f"volume          {plan.volume_ml:.2f} mL")
        if check is not None:
            verdict = "WITHIN TOLERANCE" if check.within_tolerance else "OUTSIDE TOLERANCE"
            console.print(f"delivered       {verdict}: {check.reason}")
    return 1 if check is not None and not check.within_tolerance else 0


# ---------------------------------------------------------------- load-specification


def _load_specification(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from celltrial.cli_django import setup_django

    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.core.errors import ValidationFailed
    from celltrial.product import services
    from celltrial.product.permissions import QC_RECORD

    file = Path(args.path)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {args.path}: {exc.strerror or exc}") from exc
    actor = Actor.system("celltrial load-specification")
    if args.as_user:
        from celltrial.accounts import permissions
        from celltrial.accounts.models import User

        user = User.objects.filter(username=args.as_user, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {args.as_user!r}")
        if not permissions.has_perm(user, QC_RECORD, ""):
            raise CommandError(f"{args.as_user} may not load a specification (needs the trial-wide QA role)")
        actor = permissions.actor_for(user, QC_RECORD, "")
    try:
        spec = services.load_release_specification(actor, content, file_name=file.name, reason=args.reason)
    except ValidationFailed as exc:
        problems = [m for messages in exc.errors.values() for m in messages]
        print(f"specification refused: {len(problems)} problem(s)", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    if args.json:
        emit_json({"version": spec.version_id, "title": spec.title, "content_hash": spec.content_hash,
                   "in_force": services.in_force(spec.kind).pk == spec.pk})
    else:
        print(f"specification {spec.version_id} loaded ({spec.content_hash[:12]}); in force for new lots")
    return 0
