"""`celltrial design ...`: dose-escalation designs from the command line.

    celltrial design boundaries --target 0.3 --cohort-size 3 --cohorts 10
    celltrial design table --design boin --target 0.25 --max-n 18
    celltrial design next --design boin --target 0.3 --doses 5 --outcomes "1NNN 2NTT"
    celltrial design oc --design boin --target 0.3 --doses 6 --cohort-size 3 --cohorts 12 \\
        --truth 0.05,0.10,0.20,0.30,0.45,0.60 --exact
    celltrial design select --design boin --target 0.3 --doses 5 --outcomes "1NNN 2NNN 3NTT"
    celltrial design next --protocol protocol.yaml --outcomes "1NNN 2NTN"

The flags are the keys of a protocol's ``escalation`` section, with dashes (``--key-width`` is
``key_width``, ``--design 3+3A`` is ``design: 3+3A``): every design is built from them through the same
schema and the same ``design_for`` as a protocol's, or from a protocol file with ``--protocol``.

Pure: no Django is started. Every subcommand takes --json; table-shaped ones also --csv.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import math
import sys
from typing import TYPE_CHECKING, Any

from celltrial.cli_support import CommandError, add_json_flag, emit_json, progress

if TYPE_CHECKING:
    from celltrial.escalation.designs import Design

# The protocol's escalation.design values (celltrial.study.protocol.schema; a test keeps them equal).
DESIGNS = ("boin", "3+3A", "3+3B", "mtpi2", "i3+3", "keyboard", "crm", "tite-boin", "tite-crm")
# Flags named after the protocol's escalation keys (dest = key). Absent flags are left to the schema's
# defaults, so the command and a protocol file agree on every default.
PARAMETERS = (
    "target", "cohort_size", "max_n", "start_dose", "n_earlystop", "elimination_cutoff", "p_saf", "p_tox",
    "extrasafe", "offset", "bound_mtd", "epsilon1", "epsilon2", "key_width", "skeleton", "model", "intercept",
    "prior_variance", "no_skipping", "coherent", "tox_certainty", "tox_threshold",
    "window_days", "accrual_interval_days", "accrual", "max_pending_ratio", "min_followup_fraction", "weights",
)
DEFAULT_DESIGN = "boin"
DEFAULT_TARGET = 0.3
# Without --max-n / --cohorts the command's design has no sample-size limit (next, select, table); the
# schema wants one, so this stands in for it until the design is built.
_NO_LIMIT = 10**6


# ---- parsing helpers --------------------------------------------------------------------------------------
def _floats(text: str) -> list[float]:
    try:
        vals = [float(v) for v in text.replace(" ", "").split(",") if v != ""]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from exc
    if not vals:
        raise argparse.ArgumentTypeError("expected at least one number")
    return vals


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in ("true", "yes"):
        return True
    if word in ("false", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _flag(key: str | int) -> str:
    return "--" + str(key).replace("_", "-")


def _design_options(p: argparse.ArgumentParser, *, table: bool = False) -> None:
    none = argparse.SUPPRESS
    g = p.add_argument_group("design (the keys of a protocol's escalation section)")
    g.add_argument("--protocol", metavar="FILE",
                   help="use the escalation section and dose levels of this protocol instead of the flags")
    g.add_argument("--design", choices=DESIGNS, default=none,
                   help=f"design (default {DEFAULT_DESIGN}); 3+3A escalates only, 3+3B may de-escalate")
    g.add_argument("--target", type=float, default=none, help=f"target DLT probability (default {DEFAULT_TARGET})")
    g.add_argument("--doses", type=int, help="number of dose levels (default: from --truth or --skeleton)")
    g.add_argument("--cohort-size", type=int, default=none, help="patients per cohort (default 3)")
    g.add_argument("--max-n", type=int, default=none,
                   help="maximum sample size" + ("; also the largest n in the table (default 18)" if table else ""))
    g.add_argument("--cohorts", type=int, default=none,
                   help="maximum number of cohorts: --max-n = cohorts x cohort size (BOIN's ncohort)")
    g.add_argument("--start-dose", type=int, default=none, help="starting dose level (default 1)")
    g.add_argument("--n-earlystop", type=int, default=none,
                   help="stop when the design would stay at a dose that already has this many patients")
    g.add_argument("--elimination-cutoff", type=float, default=none,
                   help="interval designs: eliminate a dose when P(DLT rate > target) exceeds this (default 0.95)")
    b = p.add_argument_group("BOIN")
    b.add_argument("--p-saf", type=float, default=none, help="highest rate deemed too low (default 0.6 x target)")
    b.add_argument("--p-tox", type=float, default=none, help="lowest rate deemed too toxic (default 1.4 x target)")
    b.add_argument("--extrasafe", action="store_const", const=True, default=none,
                   help="extra safety stopping rule at dose 1")
    b.add_argument("--offset", type=float, default=none, help="extrasafe offset (default 0.05)")
    b.add_argument("--bound-mtd", action="store_const", const=True, default=none,
                   help="the MTD estimate must be below lambda_d")
    i = p.add_argument_group("mTPI-2, i3+3, Keyboard")
    i.add_argument("--epsilon1", type=float, default=none, help="equivalence interval starts at target - epsilon1")
    i.add_argument("--epsilon2", type=float, default=none, help="equivalence interval ends at target + epsilon2")
    i.add_argument("--key-width", type=float, default=none,
                   help="Keyboard: full width of the target key, centred on the target (default 0.1)")
    c = p.add_argument_group("CRM")
    c.add_argument("--skeleton", type=_floats, default=none, help="prior DLT probabilities, e.g. "
                   "0.05,0.12,0.25,0.40,0.55 (default: dfcrm getprior(0.05, target, middle dose, doses))")
    c.add_argument("--model", choices=("empiric", "logistic"), default=none, help="working model (default empiric)")
    c.add_argument("--intercept", type=float, default=none, help="logistic model intercept (default 3)")
    c.add_argument("--prior-variance", type=float, default=none,
                   help="variance of the normal prior of the log-slope (default 1.34; dfcrm's scale is its root)")
    c.add_argument("--no-skipping", type=_bool, default=none, metavar="true|false",
                   help="never skip an untried dose when escalating (default true)")
    c.add_argument("--coherent", type=_bool, default=none, metavar="true|false",
                   help="never escalate right after a cohort with DLT rate >= target (default true)")
    c.add_argument("--tox-certainty", type=float, default=none,
                   help="stop with no MTD when P(DLT rate at dose 1 > tox threshold) exceeds this")
    c.add_argument("--tox-threshold", type=float, default=none, help="threshold of --tox-certainty (default: target)")
    t = p.add_argument_group("TITE-BOIN, TITE-CRM (time-to-event)")
    t.add_argument("--window-days", type=float, default=none, help="DLT window in days (default 28)")
    t.add_argument("--accrual-interval-days", type=float, default=none,
                   help="simulated OCs: mean days between enrolments (default 14)")
    t.add_argument("--accrual", choices=("poisson", "fixed"), default=none,
                   help="simulated OCs: exponential gaps or exactly the interval (default poisson)")
    t.add_argument("--max-pending-ratio", type=float, default=none,
                   help="TITE-BOIN: suspend accrual when more than this fraction at the dose is pending (default 0.5)")
    t.add_argument("--min-followup-fraction", type=float, default=none,
                   help="TITE-BOIN: escalate only once every pending patient has this fraction of the window (0: off)")
    t.add_argument("--weights", choices=("linear", "adaptive"), default=none,
                   help="TITE-CRM: weight of a pending patient (default linear)")


def _schema_error_text(exc: Any) -> str:
    """Pydantic errors of the escalation schema, named by flag."""
    parts = []
    for err in exc.errors():
        loc = [part for part in err["loc"] if part not in DESIGNS]
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            parts.append(f"{_flag(loc[-1])} is not a parameter of the {err['loc'][0]} design")
        else:
            got = "" if err["type"] in ("missing", "value_error") else f"; got {err['input']!r}"
            if len(loc) == 2 and isinstance(loc[1], int):
                parts.append(f"{_flag(loc[0])} value {loc[1] + 1}: {msg}{got}")
            elif loc:
                parts.append(f"{_flag(loc[0])}: {msg}{got}")
            else:
                parts.append(msg)
    return "; ".join(parts)


def build_design(args: argparse.Namespace, n_doses: int | None = None) -> Design:
    """The design the flags (or ``--protocol FILE``) declare, built by ``design_for``."""
    from pydantic import TypeAdapter, ValidationError

    from celltrial.escalation import designs as ds
    from celltrial.escalation.protocol_design import ProtocolDesignError, design_for
    from celltrial.study.protocol import ProtocolError, load_protocol, schema

    given = {key: getattr(args, key) for key in PARAMETERS if hasattr(args, key)}
    limited = True
    if getattr(args, "protocol", None):
        extra = sorted(_flag(key) for key in (*given, "design", "cohorts") if hasattr(args, key))
        if args.doses is not None:
            extra.append("--doses")
        if extra:
            raise CommandError(f"--protocol declares the design; drop {', '.join(extra)}")
        try:
            protocol = load_protocol(args.protocol)
        except ProtocolError as exc:
            raise CommandError("; ".join(str(issue) for issue in exc.issues)) from None
        escalation: Any = protocol.escalation
        levels: list[Any] = list(protocol.dose_levels)
        dlt_window: float | None = protocol.dlt.window_days
        where = f"{args.protocol}: "
    else:
        name = getattr(args, "design", DEFAULT_DESIGN)
        skeleton = given.get("skeleton")
        k = args.doses or (len(skeleton) if skeleton else None) or n_doses
        if k is None:
            raise CommandError("give --doses (or --truth / --skeleton to imply it)")
        if k < 1:
            raise CommandError(f"--doses must be at least 1; got {k}")
        if hasattr(args, "cohorts"):
            if "max_n" in given:
                raise CommandError("give --cohorts or --max-n, not both")
            given["max_n"] = args.cohorts * given.get("cohort_size", 3)
        if "max_n" not in given:
            limited = False
            given["max_n"] = _NO_LIMIT
        given.setdefault("target", DEFAULT_TARGET)
        given["start_dose"] = str(given.get("start_dose", 1))
        if name in ("crm", "tite-crm") and skeleton is None:
            try:
                given["skeleton"] = ds.getprior(0.05, given["target"], (k + 1) // 2, k)
            except ValueError as exc:
                raise CommandError(f"default skeleton: {exc}") from None
        try:
            escalation = TypeAdapter(schema.EscalationDesign).validate_python({"design": name, **given})
        except ValidationError as exc:
            raise CommandError(_schema_error_text(exc)) from None
        levels = [str(j) for j in range(1, k + 1)]
        dlt_window = None
        where = ""
    try:
        design = design_for(escalation, dose_levels=levels, dlt_window_days=dlt_window)
    except ProtocolDesignError as exc:
        if where:
            raise CommandError(f"{where}{exc}") from None
        key = exc.path[-1]
        raise CommandError(exc.message if key == "escalation" else f"{_flag(key)}: {exc.message}") from None
    if not limited and not isinstance(design, ds.ThreePlusThree):
        design = dataclasses.replace(design, max_n=None)  # the 3+3 keeps its own 6 per dose
    return design


# ---- output helpers ---------------------------------------------------------------------------------------
def render(headers: list[Any], rows: list[list[Any]], align: str | None = None) -> str:
    cells = [[("" if v is None else str(v)) for v in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(vals):
        return "  ".join(v.ljust(w) if a == "l" else v.rjust(w) for v, w, a in zip(vals, widths, align, strict=True))

    out = [line(headers), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    return "\n".join(line_.rstrip() for line_ in out)


def emit_csv(headers: list[str], rows: list[list[Any]]) -> None:
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(headers)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])


def _describe(d) -> str:
    from celltrial.escalation.designs import CRM, DFCRM_PRIOR_VARIANCE, ThreePlusThree

    parts = [d.name, f"target {d.target:g}", f"{d.n_doses} doses"]
    if not isinstance(d, ThreePlusThree):
        parts.append(f"cohorts of {d.cohort_size}")
        if d.max_n:
            parts.append(f"max {d.max_n} patients")
    if d.n_earlystop:
        parts.append(f"stop at {d.n_earlystop} on a dose")
    if d.start_dose != 1:
        parts.append(f"start at dose {d.start_dose}")
    if isinstance(d, CRM):
        parts.append("skeleton " + " ".join(f"{v:.3f}" for v in d.skeleton))
        parts.append("no skipping, coherent" if d.no_skipping and d.coherent else
                     "unrestricted" if not (d.no_skipping or d.coherent) else
                     "no skipping" if d.no_skipping else "dose skipping allowed, coherent")
        if d.model == "logistic" and d.intercept != 3.0:
            parts.append(f"intercept {d.intercept:g}")
        if d.prior_variance != DFCRM_PRIOR_VARIANCE:
            parts.append(f"prior variance {d.prior_variance:g}")
        if d.tox_certainty is not None:
            thr = d.target if d.tox_threshold is None else d.tox_threshold
            parts.append(f"stop if P(DLT rate at dose 1 > {thr:g}) > {d.tox_certainty:g}")
    if hasattr(d, "window_days"):  # TITE-BOIN, TITE-CRM
        parts.append(f"DLT window {d.window_days:g} days, one arrival every {d.accrual_interval_days:g} days"
                     f" ({d.accrual})")
        if hasattr(d, "max_pending_ratio"):
            parts.append(f"suspend when more than {d.max_pending_ratio:g} of a dose is pending")
        if getattr(d, "min_followup_fraction", 0):
            parts.append(f"escalate after {d.min_followup_fraction:g} of the window for every pending patient")
        if hasattr(d, "weights"):
            parts.append(f"{d.weights} weights")
    return ", ".join(parts)


# ---- subcommands ------------------------------------------------------------------------------------------
def cmd_boundaries(args: argparse.Namespace) -> int:
    from celltrial.escalation.designs import IntervalDesign, boin_boundaries

    d = build_design(args, n_doses=1)
    if not isinstance(d, IntervalDesign):
        raise CommandError("boundaries apply to boin, mtpi2, i3+3 and keyboard (see `design table` for 3+3 and CRM)")
    npts = d.max_n or 10 * d.cohort_size
    ns = list(range(1, npts + 1)) if args.full else list(range(d.cohort_size, npts + 1, d.cohort_size))
    if d.design == "boin":
        b = boin_boundaries(d.target, npts, p_saf=d.p_saf, p_tox=d.p_tox, elimination_cutoff=d.elimination_cutoff,
                            extrasafe=d.extrasafe, offset=d.offset)
        table = b.rows(ns)
        head = {"lambda_e": b.lambda_e, "lambda_d": b.lambda_d}
    else:
        table = d.decision_table(npts).count_boundaries(ns)
        head = {}
    labels = {"n": "Number of patients treated", "escalate_if_le": "Escalate if # of DLT <=",
              "deescalate_if_ge": "De-escalate if # of DLT >=", "eliminate_if_ge": "Eliminate if # of DLT >=",
              "stop_if_ge": "Stop (dose 1) if # of DLT >="}
    if args.json:
        emit_json({"design": d.name, "target": d.target, **head, "boundaries": table})
        return 0
    rows = [[labels[key], *("NA" if v is None else v for v in vals)] for key, vals in table.items()]
    if args.csv:
        emit_csv(["row", *[str(n) for n in ns]], rows)
        return 0
    print(f"{d.name} boundaries, target {d.target:g}" + (
        f": lambda_e = {head['lambda_e']:.4f}, lambda_d = {head['lambda_d']:.4f}" if head else ""))
    print(render(rows[0][:1] + [str(v) for v in rows[0][1:]], rows[1:]))
    return 0


def _tite_boin_table(d, max_n: int, args: argparse.Namespace) -> int:
    """Yuan et al. 2018 Table 1 layout: per n (cohort multiples), DLTs and pending at the current dose."""
    rows = [r for r in d.tite_decision_table(max_n) if r["n"] % d.cohort_size == 0]
    if args.json:
        emit_json({"design": d.name, "target": d.target, "max_pending_ratio": d.max_pending_ratio, "rows": rows})
        return 0
    words = {"E": "escalate", "S": "stay", "D": "de-escalate", "DU": "de-escalate and eliminate", "SUS": "suspend"}

    def what(r: dict) -> str:
        if r["decision"] == "E/S":
            return f"escalate if STFT >= {r['escalate_if_stft_at_least']:.2f}, else stay"
        if r["decision"] == "S/D":
            return f"de-escalate if STFT <= {r['deescalate_if_stft_at_most']:.2f}, else stay"
        return words[r["decision"]]

    if args.csv:
        emit_csv(["n", "dlts", "pending", "code", "decision"],
                 [[r["n"], r["dlts"], r["pending"], r["decision"], what(r)] for r in rows])
        return 0
    # the paper's layout: consecutive numbers pending with the same decision on one line
    merged: list[list[str]] = []
    for r in rows:
        last = merged[-1] if merged else None
        if last and last[0] == str(r["n"]) and last[1] == str(r["dlts"]) and last[4] == what(r) \
                and r["decision"] not in ("E/S", "S/D"):
            last[2] = f"{last[2].split('-')[0]}-{r['pending']}"
        else:
            merged.append([str(r["n"]), str(r["dlts"]), str(r["pending"]), r["decision"], what(r)])
    print(f"{d.name} decision table, target {d.target:g}, suspend accrual when more than {d.max_pending_ratio:g} "
          "of the patients at the dose are pending")
    if d.min_followup_fraction:
        print(f"escalate (E, E/S) with pending patients only once each has {d.min_followup_fraction:g} of the "
              "window; until then suspend")
    print("n patients at the current dose, y DLTs observed, c pending; STFT: the pending patients' follow-up, "
          "each as a fraction of the window, summed")
    print(render(["n", "y", "c", "code", "decision"], merged, "rrrll"))
    return 0


def cmd_table(args: argparse.Namespace) -> int:
    from celltrial.escalation import designs as ds
    from celltrial.escalation.designs import CRM, ThreePlusThree

    d = build_design(args, n_doses=1)
    if isinstance(d, ThreePlusThree):
        rules = d.decision_table()
        if args.json:
            emit_json({"design": d.name, "rules": rules})
        elif args.csv:
            emit_csv(["patients", "dlts", "decision"], [list(r.values()) for r in rules])
        else:
            print(f"{d.name} decision rules (at the current dose)")
            print(render(["patients", "DLTs", "decision"], [list(r.values()) for r in rules], "lll"))
        return 0
    if isinstance(d, CRM):
        paths = d.decision_table(outcomes=args.outcomes)
        if args.json:
            emit_json({"design": d.name, "after": args.outcomes or "", "next": paths})
        else:
            print(f"{_describe(d)}: next decision after each outcome of the next cohort "
                  f"(outcomes so far: {args.outcomes or 'none'})")
            print(render(["next cohort", "DLTs", "then dose", "continue", "action"],
                         [list(r.values()) for r in paths]))
        return 0
    max_n = d.max_n or 18
    if isinstance(d, ds.TiteBoin):
        return _tite_boin_table(d, max_n, args)
    t = d.decision_table(max_n)
    ns = list(range(1, max_n + 1))
    grid = t.grid(ns)
    if args.json:
        emit_json({"design": t.design, "target": t.target, "notes": list(t.notes), "n": ns,
                   "decisions": {str(n): [grid[y][i] for y in range(n + 1)] for i, n in enumerate(ns)},
                   "boundaries": t.count_boundaries(ns)})
        return 0
    rows = [[f"y={y}", *grid[y]] for y in range(max_n + 1)]
    if args.csv:
        emit_csv(["dlts", *[f"n={n}" for n in ns]], [[y, *grid[y]] for y in range(max_n + 1)])
        return 0
    print(f"{t.design} decision table, target {t.target:g}" + (f" ({'; '.join(t.notes)})" if t.notes else ""))
    print("E escalate, S stay, D de-escalate, DU de-escalate and eliminate this and higher doses; "
          "columns: patients treated at the current dose (n), rows: DLTs among them (y)")
    print(render(["", *[str(n) for n in ns]], rows))
    return 0


def cmd_next(args: argparse.Namespace) -> int:
    d = build_design(args)
    try:
        r = d.recommend(args.outcomes)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"design": _describe(d), "outcomes": args.outcomes, **r.to_dict()})
        return 0
    print(_describe(d))
    print(f"outcomes: {args.outcomes or '(none)'}")
    rows = [[j + 1, r.n[j], r.dlts[j], "yes" if r.admissible[j] else "no"] for j in range(d.n_doses)]
    print(render(["dose", "patients", "DLTs", "admissible"], rows))
    verdict = (f"next cohort: dose {r.dose}" if r.continue_trial else
               f"stop the trial; MTD: {'dose ' + str(r.dose) if r.dose else 'none'}")
    print(f"decision: {r.action} -> {verdict}")
    print(f"reason: {r.reason}")
    return 0


def cmd_select(args: argparse.Namespace) -> int:
    d = build_design(args)
    try:
        s = d.select(args.outcomes)
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if args.json:
        emit_json({"design": _describe(d), "outcomes": args.outcomes, **s.to_dict()})
        return 0

    def f(v):
        return "" if v is None else f"{v:.3f}"

    rows = [[e["dose"], e["n"], e["dlts"], f(e["estimate"]), f(e["lower"]), f(e["upper"])] for e in s.estimates]
    print(_describe(d))
    print(f"method: {s.method}")
    print(render(["dose", "patients", "DLTs", "P(DLT) estimate", "lower", "upper"], rows))
    print(f"MTD: {'dose ' + str(s.dose) if s.dose else 'none'}; {s.reason}")
    return 0


def _run_oc(d, truth: list[float], args: argparse.Namespace):
    from celltrial.escalation.designs.simulate import iter_simulation
    from celltrial.escalation.designs.tite import TiteMixin

    if isinstance(d, TiteMixin):  # time-to-event: simulated with pending windows; --exact: every window waited for
        if args.exact:
            return d.oc(truth, method="complete")
        return d.oc(truth, method="tite", n_trials=args.sims or 10_000, seed=args.seed)
    if args.sims:
        rules = d.rules()
        chunks = math.ceil(args.sims / args.chunk)
        accs = list(progress(iter_simulation(rules, truth, args.sims, args.seed, chunk=args.chunk), total=chunks,
                             description=f"simulating {args.sims:,} trials"))
        return accs[-1].result(d.name, args.seed)
    return d.oc(truth)


def cmd_oc(args: argparse.Namespace) -> int:
    if args.exact and args.sims:
        raise CommandError("choose --exact or --sims N, not both")
    scenarios = args.truth
    k = len(scenarios[0])
    if any(len(t) != k for t in scenarios):
        raise CommandError("every --truth scenario needs the same number of doses")
    if any(not 0 <= v <= 1 for t in scenarios for v in t):
        raise CommandError("--truth values are probabilities in [0, 1]")
    d = build_design(args, n_doses=k)
    if d.n_doses != k:
        raise CommandError(f"--truth has {k} values but the design has {d.n_doses} doses")
    if d.max_n is None:
        raise CommandError("give --cohorts (or --max-n) for the maximum sample size")
    try:
        results = [_run_oc(d, t, args) for t in scenarios]
    except ValueError as exc:
        raise CommandError(str(exc)) from exc
    if args.plot:
        path = d.simulate_trial(scenarios[0], seed=args.seed)
        plot_oc(results, path, args.plot, title=_describe(d))
    if args.json:
        emit_json({"design": _describe(d), "scenarios": [r.to_dict() for r in results]})
        return 0
    if args.csv:
        buf = io.StringIO()
        for i, r in enumerate(results, start=1):
            text = r.csv()
            lines = text.splitlines()
            if i == 1:
                buf.write("scenario," + lines[0] + "\n")
            for ln in lines[1:]:
                buf.write(f"{i},{ln}\n")
        sys.stdout.write(buf.getvalue())
        return 0
    first = results[0]
    how = (f"exact ({first.n_states:,} distinct final states)" if first.method == "exact"
           else f"Monte Carlo, {first.n_trials:,} trials, seed {first.seed} (± one standard error)")
    if hasattr(d, "window_days") and first.method == "exact":
        how = f"exact for the trial that waits for every window ({first.n_states:,} distinct final states)"
    print(f"{_describe(d)} - {how}")
    for i, r in enumerate(results, start=1):
        print()
        print(f"Scenario {i}: true P(DLT) " + " ".join(f"{v:.2f}" for v in r.truth))
        print(render(["dose", "true P(DLT)", "selected %", "patients", "DLTs"], r.rows()))
        es = f"{100 * r.early_stop:.1f}%" + (f" ± {100 * r.se_early_stop:.1f}" if r.se_early_stop is not None else "")
        pa = f"{r.pct_above_mtd:.1f}%" + (f" ± {r.se_pct_above_mtd:.1f}" if r.se_pct_above_mtd is not None else "")
        print(f"early stop for safety: {es}; patients treated above the MTD (true P(DLT) > {r.target:g}): {pa}")
        if "duration_mean_days" in r.extra:
            print(f"mean trial duration: {r.extra['duration_mean_days']:.1f} ± {r.extra['se_duration_mean_days']:.1f} days")
    if args.plot:
        print(f"\nfigure written to {args.plot}")
    return 0


def plot_oc(results, path, filename: str, title: str = "") -> None:
    """Selection % and patients per dose for each scenario, and the dose path of one simulated trial."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    k = results[0].n_doses
    fig, axes = plt.subplots(len(results) + 1, 2, figsize=(10, 2.8 * (len(results) + 1)), squeeze=False)
    doses = np.arange(1, k + 1)
    for i, r in enumerate(results):
        a1, a2 = axes[i]
        a1.bar(doses, 100 * r.select, color="#4c72b0",
               yerr=None if r.se_select is None else 100 * r.se_select)
        a1.set_title(f"Scenario {i + 1}: selected as MTD (%)  [none {100 * r.select_none:.1f}%]", fontsize=9)
        a1.set_ylim(0, 100)
        a2.bar(doses, r.n_mean, color="#55a868", yerr=r.se_n_mean)
        a2.set_title(f"Scenario {i + 1}: mean patients per dose (total {r.total_n:.1f})", fontsize=9)
        for ax in (a1, a2):
            ax.set_xticks(doses)
            ax.set_xticklabels([f"{j}\n{p:.2f}" for j, p in zip(doses, r.truth, strict=True)], fontsize=8)
    ax = axes[-1][0]
    xs = np.arange(1, len(path.cohorts) + 1)
    ds_ = [c[0] for c in path.cohorts]
    ax.step(xs, ds_, where="mid", color="grey")
    for x, (d, c, t) in zip(xs, path.cohorts, strict=True):
        ax.scatter([x], [d], color="#c44e52" if t else "#4c72b0", s=30 + 30 * t, zorder=3)
        ax.annotate(f"{t}/{c}", (x, d), textcoords="offset points", xytext=(0, 7), ha="center", fontsize=7)
    ax.set_yticks(range(1, k + 1))
    ax.set_xlabel("cohort")
    ax.set_ylabel("dose")
    ax.set_title(f"One simulated trial (scenario 1): MTD {path.mtd or 'none'}", fontsize=9)
    axes[-1][1].axis("off")
    axes[-1][1].text(0, 0.5, path.outcome_string(), wrap=True, fontsize=8, family="monospace")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(filename, dpi=110)
    plt.close(fig)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add this room's subcommands to the `celltrial` command."""
    top = subparsers.add_parser("design", help="dose-escalation designs: boundaries, tables, decisions, OCs",
                                description="Dose-escalation designs (3+3, BOIN, mTPI-2, i3+3, Keyboard, CRM).")
    sub = top.add_subparsers(dest="design_command", metavar="SUBCOMMAND")
    top.set_defaults(func=lambda a: (top.print_help(), 2)[1])

    def add(name: str, helptext: str, func, *, table: bool = False, csv_flag: bool = True):
        p = sub.add_parser(name, help=helptext, description=helptext)
        _design_options(p, table=table)
        add_json_flag(p)
        if csv_flag:
            p.add_argument("--csv", action="store_true", help="print CSV")
        p.set_defaults(func=func, command_name=name)
        return p

    p = add("boundaries", "BOIN-style escalation / de-escalation / elimination counts per n", cmd_boundaries)
    p.add_argument("--full", action="store_true", help="every n, not only multiples of the cohort size")
    p = add("table", "decision table: E / S / D / DU for every n and y (3+3: its rules; CRM: next-cohort paths)",
            cmd_table, table=True)
    p.add_argument("--outcomes", help="CRM: outcomes so far, e.g. '1NNN 2NTN'")
    p = add("next", "recommend the next dose from the outcomes so far", cmd_next, csv_flag=False)
    p.add_argument("--outcomes", default="", help="outcomes so far, e.g. '1NNN 2NTT'")
    p = add("oc", "operating characteristics for true-toxicity scenarios (exact or Monte Carlo)", cmd_oc)
    p.add_argument("--truth", type=_floats, action="append", required=True,
                   help="true DLT probabilities per dose, comma-separated; repeat for more scenarios")
    p.add_argument("--exact", action="store_true", help="exact by dynamic programming (the default)")
    p.add_argument("--sims", type=int, help="Monte Carlo with this many simulated trials instead")
    p.add_argument("--seed", type=int, default=2024, help="random seed (default 2024)")
    p.add_argument("--chunk", type=int, default=100_000, help="trials simulated at once (memory bound)")
    p.add_argument("--plot", metavar="FILE", help="write a figure (PNG/PDF/SVG) of the results")
    p = add("select", "select the MTD at the end of a trial, with estimates and intervals", cmd_select,
            csv_flag=False)
    p.add_argument("--outcomes", required=True, help="all outcomes, e.g. '1NNN 2NNN 3NTT'")
