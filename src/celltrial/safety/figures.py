"""The swimmer plot (matplotlib, Agg): one lane per dosed participant from Day 0, the DLT window shaded, each
AE a bar from onset to resolution (or to today while ongoing) coloured by CTCAE grade."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass

from celltrial.safety.rules.partial_dates import parse_partial

GRADE_COLOURS = {1: "#7fbf7f", 2: "#f2c84b", 3: "#f08a3c", 4: "#d7301f", 5: "#222222", None: "#9aa5b1"}
CJK_FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]


@dataclass(frozen=True)
class Lane:
    subject: str
    dosed_on: dt.date
    window_days: int
    aes: Sequence[tuple[str, str, str, int | None]]  # (label, onset, resolved, grade)
    dlt: bool = False


def _day(text: str, day0: dt.date) -> int:
    return (parse_partial(text).earliest - day0).days


def swimmer_png(lanes: Sequence[Lane], *, today: dt.date, labels: dict[str, str]) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FAMILIES,
                                "axes.unicode_minus": False}):
        figure = Figure(figsize=(8.0, 1.4 + 0.6 * max(1, len(lanes))), dpi=100)
        axes = figure.add_subplot()
        for y, lane in enumerate(lanes):
            last = max([(today - lane.dosed_on).days, lane.window_days] +
                       [_day(r, lane.dosed_on) for _l, _o, r, _g in lane.aes if r])
            axes.barh(y, lane.window_days, left=0, height=0.9, color="#e8eef7", zorder=0)
            axes.plot([0, (today - lane.dosed_on).days], [y, y], color="#c5ccd6", linewidth=6, zorder=1,
                      solid_capstyle="butt")
            axes.plot([0], [y], marker="v", color="#1f4e79", markersize=9, zorder=3)
            for index, (_label, onset, resolved, grade) in enumerate(lane.aes):
                start = _day(onset, lane.dosed_on)
                end = _day(resolved, lane.dosed_on) if resolved else (today - lane.dosed_on).days
                offset = (index % 3 - 1) * 0.18
                axes.barh(y + offset, max(end - start, 0.6), left=start, height=0.16,
                          color=GRADE_COLOURS.get(grade, GRADE_COLOURS[None]), edgecolor="#333", linewidth=0.4,
                          zorder=2)
            if lane.dlt:
                axes.text(last + 1, y, "DLT", va="center", fontsize=8, color="#d7301f", fontweight="bold")
        axes.set_yticks(range(len(lanes)), [lane.subject for lane in lanes])
        axes.invert_yaxis()
        axes.set_xlabel(labels.get("axis", "days from dosing (Day 0)"))
        axes.spines[["top", "right"]].set_visible(False)
        handles = [Patch(color=GRADE_COLOURS[g], label=f"{labels.get('grade', 'grade')} {g}") for g in (1, 2, 3, 4, 5)]
        handles.append(Patch(color="#e8eef7", label=labels.get("window", "DLT window")))
        axes.legend(handles=handles, fontsize=7, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                    ncol=6)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()
