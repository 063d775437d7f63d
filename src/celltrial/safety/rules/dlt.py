"""DLT proposals: which of a protocol's DLT criteria the platform can compute from AEs and lab series.

Computable criteria (issue 11 §5; default protocol ``dlt.criteria``):

- ``nonheme_g3``  grade ≥ 3 non-haematological AE (CTCAE v5.0 grade; haematological terms are the
  "Blood and lymphatic system disorders" / "Investigations" count terms: anaemia, neutrophil,
  platelet, white-cell and lymphocyte counts);
- ``infusion_g3`` grade ≥ 3 infusion-related or allergic reaction, or any anaphylaxis;
- ``g4``          any grade 4 AE;
- ``lab_g3_7d``   a laboratory abnormality at grade ≥ 3 lasting more than 7 days, from the lab series;
- ``death``       grade 5 / fatal outcome.

Each is proposed only for an AE whose onset can fall inside the window [Day 0, Day 0 + window_days]
and is mapped to the protocol's own criterion id; the investigator assesses every other criterion and
confirms or rejects each proposal. The protocol's definition requires "at least possibly related":
a proposal for an AE the investigator judged unrelated is listed as *unrelated*, one without a
causality assessment as *causality pending*.

Duration of a lab episode: the *documented* duration, from the first result at grade ≥ 3 to the last
consecutive result still at grade ≥ 3 (a lower bound: the abnormality ended somewhere before the next,
lower result, which the reason names). With no lower result yet the episode is marked ongoing. The
investigator, who knows the draw schedule, confirms or rejects the proposal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from celltrial.safety.rules.partial_dates import may_fall_within, parse_partial

HAEMATOLOGICAL = frozenset({"anemia", "neutrophils", "platelets", "wbc", "lymphocytes"})
INFUSION_TERMS = frozenset({"infusion_related_reaction", "allergic_reaction"})
LAB_DLT_TERMS = frozenset({"alt", "ast", "bilirubin", "creatinine", "neutrophils", "platelets", "anemia"})
LAB_DAYS = 7
KINDS = ("nonheme_g3", "infusion_g3", "g4", "lab_g3_7d", "death")
# The default protocol's ids for the computable kinds (another protocol may map its own ids).
DEFAULT_IDS = {"nonheme_g3": "DLT-NONHEME-G3", "infusion_g3": "DLT-INFUSION-G3", "g4": "DLT-G4",
               "lab_g3_7d": "DLT-LAB-G3-7D", "death": "DLT-DEATH"}


@dataclass(frozen=True)
class AeFact:
    number: int
    term: str  # verbatim
    ctcae_term: str  # CTCAE key ("alt", "fever", ...) or ""
    grade: int | None
    onset: str  # ISO partial date
    related: bool | None  # investigator: possibly/probably/definitely; None = not assessed
    fatal: bool = False


@dataclass(frozen=True)
class LabFact:
    ctcae_term: str
    collected_at: datetime
    grade: int | None


@dataclass(frozen=True)
class LabEpisode:
    ctcae_term: str
    start: datetime
    end: datetime  # the last consecutive result at grade ≥ 3
    below: datetime | None  # the first later result below grade 3 (None: ongoing)

    @property
    def ongoing(self) -> bool:
        return self.below is None

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def describe(self) -> str:
        days = self.duration.total_seconds() / 86400
        tail = "ongoing" if self.below is None else f"below grade 3 on {self.below.date()}"
        return (f"{self.ctcae_term} at grade ≥3 from {self.start.date()} to {self.end.date()} "
                f"({days:.1f} days documented; {tail})")


@dataclass(frozen=True)
class Proposal:
    ae: int | None
    kind: str
    criterion: str  # the protocol's criterion id
    standing: str  # "proposed" | "unrelated" | "causality_pending"
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"ae": self.ae, "kind": self.kind, "criterion": self.criterion, "standing": self.standing,
                "reason": self.reason}


def criterion_ids(protocol_ids: Iterable[str], mapping: Mapping[str, str] = DEFAULT_IDS) -> dict[str, str]:
    """The computable kinds the protocol declares (kind -> its criterion id)."""
    ids = set(protocol_ids)
    return {kind: cid for kind, cid in mapping.items() if cid in ids}


def grade3_episodes(series: Sequence[LabFact]) -> list[LabEpisode]:
    """Runs of consecutive results at grade ≥ 3 (results without a grade are skipped)."""
    points = sorted((p for p in series if p.grade is not None), key=lambda p: p.collected_at)
    episodes: list[LabEpisode] = []
    start: LabFact | None = None
    last: LabFact | None = None
    for point in points:
        assert point.grade is not None
        if point.grade >= 3:
            if start is None:
                start = point
            last = point
        elif start is not None and last is not None:
            episodes.append(LabEpisode(start.ctcae_term, start.collected_at, last.collected_at, point.collected_at))
            start = last = None
    if start is not None and last is not None:
        episodes.append(LabEpisode(start.ctcae_term, start.collected_at, last.collected_at, None))
    return episodes


def _standing(ae: AeFact) -> str:
    return "causality_pending" if ae.related is None else "proposed" if ae.related else "unrelated"


def propose(aes: Iterable[AeFact], labs: Mapping[str, Sequence[LabFact]], *, dosed_on: date, window_days: int,
            ids: Mapping[str, str]) -> list[Proposal]:
    """Every computable criterion met by an AE in the window (``labs``: CTCAE key -> series)."""
    window_end = dosed_on + timedelta(days=window_days)
    out: list[Proposal] = []
    linked_terms: set[str] = set()
    for ae in sorted(aes, key=lambda a: a.number):
        onset = parse_partial(ae.onset, "onset")
        if not may_fall_within(onset, dosed_on, window_end):
            continue
        standing = _standing(ae)
        grade = ae.grade

        def add(kind: str, reason: str, ae: AeFact = ae, standing: str = standing) -> None:
            if kind in ids:
                out.append(Proposal(ae.number, kind, ids[kind], standing, reason))

        if ae.fatal or grade == 5:
            add("death", "fatal outcome (grade 5)")
        if grade is not None and grade >= 4:
            add("g4", f"CTCAE grade {grade}")
        if grade is not None and grade >= 3 and ae.ctcae_term not in HAEMATOLOGICAL:
            note = ""
            if ae.ctcae_term in ("fever", "infusion_related_reaction"):
                note = "; the investigator checks the exclusion (resolved to grade ≤1 within 48 hours)"
            add("nonheme_g3", f"grade {grade} non-haematological ({ae.ctcae_term or ae.term}){note}")
        if ae.ctcae_term in INFUSION_TERMS and grade is not None and grade >= 3:
            add("infusion_g3", f"grade {grade} {ae.ctcae_term.replace('_', ' ')}")
        if ae.ctcae_term == "anaphylaxis":
            add("infusion_g3", "anaphylaxis")
        if ae.ctcae_term in LAB_DLT_TERMS and ae.ctcae_term in labs:
            linked_terms.add(ae.ctcae_term)
            for episode in grade3_episodes(labs[ae.ctcae_term]):
                if not dosed_on <= episode.start.date() <= window_end:
                    continue
                if episode.duration > timedelta(days=LAB_DAYS):
                    add("lab_g3_7d", f"{episode.describe()} > {LAB_DAYS} days")
    # A long grade ≥3 lab episode with no AE entered for it: proposed without an AE, so it is not missed.
    for term, series in sorted(labs.items()):
        if term in linked_terms or term not in LAB_DLT_TERMS or "lab_g3_7d" not in ids:
            continue
        for episode in grade3_episodes(series):
            if dosed_on <= episode.start.date() <= window_end and episode.duration > timedelta(days=LAB_DAYS):
                out.append(Proposal(None, "lab_g3_7d", ids["lab_g3_7d"], "causality_pending",
                                    f"{episode.describe()} > {LAB_DAYS} days, with no adverse event entered for it"))
    return out
