"""`celltrial ctcae` and `celltrial clock`: CTCAE v5.0 grades and expedited-reporting clocks.

    celltrial ctcae terms
    celltrial ctcae grade ALT --value 130 --unit U/L --uln 40
    celltrial ctcae grade creatinine --value 0.9 --unit mg/dL --uln 0.7 --baseline 0.3
    celltrial ctcae grade fever --value 40.3 --unit C --duration-hours 30
    celltrial ctcae grade seizure --finding new_onset
    celltrial clock --sponsor-aware 2025-12-28 --fatal --unexpected --related-sponsor --today 2026-01-02

Bad input exits with status 2 and a one-line reason (via ``CommandError``).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import TYPE_CHECKING

from celltrial.cli_support import CommandError, add_json_flag, emit_json

if TYPE_CHECKING:
    from celltrial.safety.clocks import ReportingPlan
    from celltrial.safety.ctcae import GradeResult

DEFAULT_SITE_TZ = "Asia/Shanghai"
SERIOUSNESS_CHOICES = (
    "death",
    "life-threatening",
    "hospitalisation",
    "disability",
    "congenital-anomaly",
    "important-medical-event",
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `celltrial ctcae` and `celltrial clock` to the `celltrial` command."""
    ctcae = subparsers.add_parser(
        "ctcae",
        help="grade an adverse event or lab value with CTCAE v5.0",
        description="CTCAE v5.0 grading: laboratory values, fever, and a suggested grade for clinical terms.",
    )
    ctcae_sub = ctcae.add_subparsers(dest="ctcae_command", metavar="SUBCOMMAND")
    ctcae.set_defaults(func=lambda _args: _missing_subcommand(ctcae))

    grade = ctcae_sub.add_parser(
        "grade",
        help="grade one term",
        description="Grade one CTCAE v5.0 term. Lab terms take --value and --unit (ULN/LLN/baseline in "
        "the same unit); fever takes --duration-hours above 40.0 °C; clinical terms take --finding.",
    )
    grade.add_argument("term", metavar="TERM", help="term key or alias (see `celltrial ctcae terms`)")
    grade.add_argument("--value", help="measured value")
    grade.add_argument(
        "--unit", help="unit of --value, --uln, --lln and --baseline (e.g. U/L, mg/dL, /mm3, F)"
    )
    grade.add_argument("--uln", help="upper limit of normal (site lab, age- and sex-specific)")
    grade.add_argument("--lln", help="lower limit of normal (site lab, age- and sex-specific)")
    grade.add_argument("--baseline", help="the participant's baseline value")
    grade.add_argument("--duration-hours", help="fever: hours spent above 40.0 °C")
    grade.add_argument(
        "--finding",
        action="append",
        default=[],
        metavar="FINDING",
        help="clinical terms: a structured finding (repeatable; see `celltrial ctcae terms --findings`)",
    )
    add_json_flag(grade)
    grade.set_defaults(func=_handle_grade)

    terms = ctcae_sub.add_parser(
        "terms", help="list the gradable terms", description="List the gradable terms."
    )
    terms.add_argument("--findings", action="store_true", help="also list each clinical term's findings")
    add_json_flag(terms)
    terms.set_defaults(func=_handle_terms)

    clock = subparsers.add_parser(
        "clock",
        help="expedited-reporting due dates for an SAE / SUSAR",
        description="Site → sponsor SAE notification (24 h) and SUSAR regulatory clocks (7 + 8 / 15 "
        "calendar days from the sponsor's first awareness, Day 0). A case is expedited when serious, "
        "unexpected and related per investigator or sponsor.",
    )
    clock.add_argument(
        "--sponsor-aware", metavar="DATE", help="sponsor's first awareness (Day 0), YYYY-MM-DD"
    )
    clock.add_argument(
        "--site-aware",
        metavar="DATETIME",
        help=f"site awareness, ISO datetime; without an offset it is read in --tz ({DEFAULT_SITE_TZ})",
    )
    clock.add_argument("--tz", default=DEFAULT_SITE_TZ, help="site time zone for --site-aware without offset")
    severity = clock.add_mutually_exclusive_group()
    severity.add_argument("--fatal", action="store_true", help="the reaction is fatal (serious: death)")
    severity.add_argument("--life-threatening", action="store_true", help="the reaction is life-threatening")
    clock.add_argument("--serious", action="store_true", help="serious by another ICH E2A criterion")
    clock.add_argument(
        "--seriousness",
        action="append",
        default=[],
        choices=SERIOUSNESS_CHOICES,
        help="ICH E2A seriousness criterion (repeatable)",
    )
    clock.add_argument(
        "--unexpected", action="store_true", help="not consistent with the reference safety information"
    )
    clock.add_argument("--related-investigator", action="store_true", help="investigator suspects causality")
    clock.add_argument("--related-sponsor", action="store_true", help="sponsor suspects causality")
    clock.add_argument(
        "--upgraded-on",
        metavar="DATE",
        help="date the sponsor learned the case became fatal/life-threatening (needs --fatal or --life-threatening)",
    )
    clock.add_argument(
        "--other-risk",
        action="store_true",
        help="other potential serious safety risk information (CDE 2018: e.g. a non-clinical finding): "
        "15 days from --sponsor-aware",
    )
    clock.add_argument("--today", metavar="DATE", help="status reference date, YYYY-MM-DD (default: today)")
    add_json_flag(clock)
    clock.set_defaults(func=_handle_clock)
    _register_room(subparsers)


def _register_room(subparsers: argparse._SubParsersAction) -> None:
    room = subparsers.add_parser(
        "safety",
        help="safety room: load the sponsor's MedDRA release, send due reporting notices",
        description="Safety room commands (they use the database).",
    )
    room_sub = room.add_subparsers(dest="safety_command", metavar="SUBCOMMAND")
    room.set_defaults(func=lambda _args: _missing_room_subcommand(room))
    meddra = room_sub.add_parser(
        "load-meddra",
        help="load the sponsor's MedDRA ASCII release (llt.asc, pt.asc, soc.asc) into the data directory",
        description="Load a MedDRA ASCII release (the MedAscii folder: llt.asc, pt.asc, soc.asc, optionally "
        "meddra_release.asc). MedDRA is licensed: celltrial never ships it. Exit 0 loaded, 2 refused.",
    )
    meddra.add_argument("directory", metavar="DIR", help="the release's MedAscii folder")
    meddra.add_argument("--version", dest="meddra_version", help="MedDRA version (default: meddra_release.asc)")
    meddra.set_defaults(func=_load_meddra)
    notify = room_sub.add_parser(
        "notify", help="send the reporting-clock notices due now (what the worker does every 15 minutes)",
        description="Send each notice due (clock started, half the time gone, overdue) once.",
    )
    notify.set_defaults(func=_notify)


def _missing_room_subcommand(parser: argparse.ArgumentParser) -> int:
    raise CommandError(f"choose a subcommand: {parser.prog} load-meddra DIR | {parser.prog} notify")


def _load_meddra(args: argparse.Namespace) -> int:
    from pathlib import Path

    from celltrial.cli_django import setup_django

    setup_django()
    from celltrial.core.actor import Actor
    from celltrial.core.errors import ValidationFailed
    from celltrial.safety import services

    try:
        release = services.load_meddra(Actor.system("celltrial safety load-meddra"), Path(args.directory),
                                       version=args.meddra_version)
    except ValidationFailed as exc:
        raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())) from exc
    counts = release.counts
    print(f"MedDRA {release.meddra_version} loaded: {counts.get('llt', 0)} LLT, {counts.get('pt', 0)} PT, "
          f"{counts.get('soc', 0)} SOC (stored in the data directory, not in the repository)")
    return 0


def _notify(args: argparse.Namespace) -> int:
    from celltrial.cli_django import setup_django

    setup_django()
    from celltrial.safety import services

    sent = services.notify_due()
    print(f"{len(sent)} notice(s) sent")
    return 0


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    raise CommandError(f"choose a subcommand: {parser.prog} grade | {parser.prog} terms")


# --- ctcae grade ---------------------------------------------------------------------------


def _handle_grade(args: argparse.Namespace) -> int:
    from celltrial.safety.ctcae import CtcaeInputError, grade

    try:
        result = grade(
            args.term,
            args.value,
            args.unit,
            uln=args.uln,
            lln=args.lln,
            baseline=args.baseline,
            duration_hours=args.duration_hours,
            findings=args.finding,
        )
    except CtcaeInputError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(result.to_dict())
    else:
        _print_grade(result)
    return 0


def _print_grade(result: GradeResult) -> None:
    from rich.console import Console
    from rich.table import Table

    label = "suggested grade" if result.suggested else "grade"
    table = Table(title=f"CTCAE v{result.version}: {result.term_name}", show_header=False)
    table.add_column("field", style="bold")
    table.add_column("value", overflow="fold")
    table.add_row(label, str(result.grade))
    table.add_row("criterion", result.criterion)
    table.add_row("version", result.version)
    table.add_row("source", result.source)
    Console(width=110).print(table)


# --- ctcae terms ---------------------------------------------------------------------------


def _handle_terms(args: argparse.Namespace) -> int:
    from celltrial.safety.ctcae import CLINICAL_TERMS, list_terms

    rows = list_terms()
    if args.json:
        payload = []
        for row in rows:
            item: dict[str, object] = {
                "key": row.key,
                "name": row.name,
                "kind": row.kind,
                "unit": row.unit,
                "verified": row.verified,
                "note": row.note,
            }
            if row.key in CLINICAL_TERMS and args.findings:
                item["findings"] = {
                    name: {"grade": f.grade, "en": f.en, "zh": f.zh}
                    for name, f in CLINICAL_TERMS[row.key].findings.items()
                }
            payload.append(item)
        emit_json(payload)
        return 0

    from rich.console import Console
    from rich.table import Table

    table = Table(title="CTCAE v5.0 terms graded by celltrial")
    for column in ("term", "CTCAE name", "kind", "unit", "verified"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.key, row.name, row.kind, row.unit or "findings", "yes" if row.verified else "[M] no"
        )
    console = Console(width=110)
    console.print(table)
    if args.findings:
        for term in CLINICAL_TERMS.values():
            findings = Table(title=f"{term.name}: findings")
            for column in ("finding", "grade", "meaning"):
                findings.add_column(column)
            for name, f in term.findings.items():
                findings.add_row(name, str(f.grade), f"{f.en} / {f.zh}")
            console.print(findings)
    return 0


# --- clock ---------------------------------------------------------------------------------


def _parse_date(text: str | None, flag: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(f"{flag}: expected a date YYYY-MM-DD, got {text!r}") from exc


def _parse_site_datetime(text: str | None, tz_name: str) -> datetime | None:
    if text is None:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            f"--site-aware: expected an ISO datetime like 2025-12-28T09:30, got {text!r}"
        ) from exc
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(tz_name))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CommandError(f"--tz: unknown time zone {tz_name!r}") from exc
    return moment


def _handle_clock(args: argparse.Namespace) -> int:
    from celltrial.safety.clocks import CaseClassification, ClockInputError, reporting_plan

    sponsor_aware = _parse_date(args.sponsor_aware, "--sponsor-aware")
    upgraded_on = _parse_date(args.upgraded_on, "--upgraded-on")
    today = _parse_date(args.today, "--today") or date.today()
    site_aware = _parse_site_datetime(args.site_aware, args.tz)
    if args.other_risk:
        return _other_risk(sponsor_aware, today, as_json=args.json)
    if sponsor_aware is None and site_aware is None:
        raise CommandError(
            "give --sponsor-aware DATE (SUSAR clocks) and/or --site-aware DATETIME (24-h SAE notice)"
        )

    seriousness = list(args.seriousness)
    if args.fatal:
        seriousness.append("death")
    if args.life_threatening:
        seriousness.append("life-threatening")
    if args.serious and not seriousness:
        seriousness.append("important-medical-event")
    try:
        case = CaseClassification.of(
            seriousness,
            unexpected=args.unexpected,
            related_by_investigator=args.related_investigator,
            related_by_sponsor=args.related_sponsor,
        )
        plan = reporting_plan(
            case,
            sponsor_aware=sponsor_aware,
            today=today,
            site_aware=site_aware,
            upgraded_on=upgraded_on,
        )
    except ClockInputError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json(plan.to_dict())
    else:
        _print_plan(plan)
    return 0


def _other_risk(sponsor_aware: date | None, today: date, *, as_json: bool) -> int:
    from celltrial.safety.clocks import other_risk_deadline, status_on

    if sponsor_aware is None:
        raise CommandError("--other-risk: give --sponsor-aware DATE (the sponsor's first knowledge, Day 0)")
    deadline = other_risk_deadline(sponsor_aware)
    status = status_on(deadline.due_date, today)
    if as_json:
        emit_json({"today": today.isoformat(), "deadlines": [{
            "name": deadline.name, "starts": deadline.starts.isoformat(), "due": deadline.due.isoformat(),
            "rule": deadline.rule, "citation": deadline.citation, "status": status.text,
            "days_left": status.days_left, "overdue": status.overdue}]})
        return 0
    from rich.console import Console

    console = Console(width=120)
    console.print(f"[bold]{deadline.name}[/bold]: due {deadline.due.isoformat()} ({status.text}; {deadline.rule})",
                  highlight=False)
    console.print(f"Source: {deadline.citation}", highlight=False, soft_wrap=True)
    return 0


def _print_plan(plan: ReportingPlan) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=120)
    console.print(f"[bold]{plan.decision.summary}[/bold]  (status on {plan.today.isoformat()})")
    if plan.deadlines:
        table = Table()
        for column in ("report", "due", "status", "rule"):
            table.add_column(column, overflow="fold")
        for deadline, status in zip(plan.deadlines, plan.statuses, strict=True):
            due = (
                deadline.due.isoformat(timespec="minutes")
                if isinstance(deadline.due, datetime)
                else deadline.due.isoformat()
            )
            style = "red" if status.overdue else ""
            table.add_row(
                deadline.name,
                due,
                f"[{style}]{status.text}[/{style}]" if style else status.text,
                deadline.rule,
            )
        console.print(table)
        console.print("Sources:")
        for citation in dict.fromkeys(d.citation for d in plan.deadlines):
            console.print(f"  - {citation}", highlight=False, soft_wrap=True)
    for note in plan.notes:
        if not note.startswith("no expedited"):  # already said by the summary line
            console.print(note, highlight=False)
