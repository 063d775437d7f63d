"""Demo labs for `make run`, written through the labs services (idempotent, fast).

The shipped ILLUSTRATIVE paediatric reference-range set is loaded at the demo site; each dosed demo child
gets panels at SCR, D1, D7, D14 and D28 (draws dated in the future are skipped), mostly normal; the first
dosed child has an ALT at CTCAE v5.0 Grade 3 (> 5.0 × ULN) on D7, still Grade 3 on the D14 draw nine days
later, then resolving on a repeat draw (the safety room adjudicates it: a Grade ≥ 3 lab lasting > 7 days).
Infusion-day vitals at every time point for each dosed child, with a Grade 1 fever (38.0–39.0 °C) at 2 h
for the second child (the only one, when one child is dosed). A child who already has lab results is left as it is.

The demo children's age at sampling and sex come from their participant records (the participants demo's
8- and 11-year-old boys), through ``participants.interface.age_and_sex``, as for any entry.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path

from django.utils import timezone

from celltrial.core.actor import Actor

RANGES_FILE = Path(__file__).parent / "data" / "paediatric-illustrative-v1.yaml"
NORMAL: dict[str, tuple[str, str]] = {
    "WBC": ("6.8", "×10⁹/L"), "ANC": ("3.2", "×10⁹/L"), "ALC": ("2.4", "×10⁹/L"), "HB": ("128", "g/L"),
    "PLT": ("262", "×10⁹/L"), "ALT": ("24", "U/L"), "AST": ("30", "U/L"), "TBIL": ("7.5", "µmol/L"),
    "CREAT": ("38", "µmol/L"), "BUN": ("4.2", "mmol/L"), "INR": ("1.02", ""), "APTT": ("31.5", "s"),
}
# (visit, day after dosing, hour, changes to NORMAL)
SCHEDULE: list[tuple[str, int, int, dict[str, str]]] = [
    ("SCR", -14, 8, {}), ("D1", 1, 8, {"WBC": "7.4", "ANC": "4.1"}), ("D7", 7, 8, {}), ("D14", 14, 8, {}),
    ("D28", 28, 8, {"ALT": "22"}),
]
# The first dosed child: ALT 245 U/L on D7 (> 5.0 × ULN 40 = 200: Grade 3), 228 U/L on D14 nine days later
# (Day 16, inside the D14 window), 36 U/L on a repeat D14 draw at Day 19.
ALT_CASE: list[tuple[str, int, int, dict[str, str]]] = [
    ("SCR", -14, 8, {}), ("D1", 1, 8, {"ALT": "31"}), ("D7", 7, 8, {"ALT": "245", "AST": "162"}),
    ("D14", 16, 8, {"ALT": "228", "AST": "118"}), ("D14", 19, 9, {"ALT": "36", "AST": "33"}),
    ("D28", 28, 8, {}),
]
# time point -> (minutes after the start, temperature °C, heart rate, SBP, DBP, RR, SpO2)
VITALS: list[tuple[str, int, str, int, int, int, int, int]] = [
    ("pre", -10, "36.6", 92, 102, 64, 20, 99), ("15m", 15, "36.7", 94, 104, 66, 20, 99),
    ("30m", 30, "36.8", 96, 103, 65, 21, 98), ("1h", 60, "37.2", 98, 105, 66, 21, 98),
    ("2h", 120, "37.4", 100, 104, 64, 22, 98), ("4h", 240, "37.0", 95, 102, 63, 20, 99),
]
FEVER_AT_2H = "38.3"  # CTCAE v5.0 Fever Grade 1: 38.0 – 39.0 °C


def _at(day: dt.date, hour: int, zone: str, minutes: int = 0) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(hour), tzinfo=zoneinfo.ZoneInfo(zone))
    return local + dt.timedelta(minutes=minutes)


def load_labs_demo(out: Callable[[str], None] = print) -> None:
    from celltrial.labs import services
    from celltrial.labs.models import InfusionVitals, LabResult
    from celltrial.participants import interface as participants
    from celltrial.study.interface import sites

    found = sites()
    if not found:
        return
    system = Actor.system("celltrial demo")
    site = found[0]
    services.load_reference_ranges(system, site_code=site.code, content=RANGES_FILE.read_bytes(),
                                   name=RANGES_FILE.name)
    now = timezone.now()
    dosed = [p for p in participants.dosed_participants() if p.site_id == site.pk]
    feverish = min(1, len(dosed) - 1)
    for i, child in enumerate(dosed):
        zone = child.site.timezone
        day0 = child.dosed_on
        if not LabResult.objects.filter(participant=child).exists():
            for visit, day, hour, changes in (ALT_CASE if i == 0 else SCHEDULE):
                when = _at(day0 + dt.timedelta(days=day), hour, zone)
                if when > now:
                    continue
                values = {code: (changes.get(code, value), unit) for code, (value, unit) in NORMAL.items()}
                services.enter_panel(system, child, visit=visit, collected_at=when, values=values)
        if not InfusionVitals.objects.filter(participant=child).exists():
            start = _at(day0, 9, zone)
            if start > now:
                continue
            for point, minutes, temp, hr, sbp, dbp, rr, spo2 in VITALS:
                when = start + dt.timedelta(minutes=minutes)
                if when > now:
                    continue
                temperature = FEVER_AT_2H if (i == feverish and point == "2h") else temp
                services.record_infusion_vitals(system, child, time_point=point, infusion_started_at=start,
                                                measured_at=when, values={
                                                    "temperature_c": temperature, "heart_rate": hr,
                                                    "systolic_bp": sbp, "diastolic_bp": dbp, "resp_rate": rr,
                                                    "spo2": spo2})
    out(f"labs: reference ranges {RANGES_FILE.name}; lab panels and infusion vitals for {len(dosed)} dosed children")


