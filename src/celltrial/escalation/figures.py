"""The escalation-history figure: dose level by participant in dosing order, DLTs marked (matplotlib, Agg)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


def _cjk_font() -> str | None:
    """A font family that has Chinese glyphs (Debian's WenQuanYi), registered with matplotlib; None if absent."""
    from pathlib import Path

    from matplotlib import font_manager

    for path in FONT_FILES:
        if Path(path).exists():
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name()
    return None


DEFAULT_TEXT = {"x": "participant, in dosing order", "y": "dose level", "no_dlt": "no DLT", "dlt": "DLT",
                "pending": "window open / pending"}


def history_figure(rows: Sequence[dict[str, Any]], levels: Sequence[str],
                   text: dict[str, str] | None = None) -> bytes:
    """PNG of the history; ``text`` holds the (translated) axis and legend labels."""
    import matplotlib

    matplotlib.use("Agg")

    words = {**DEFAULT_TEXT, **(text or {})}
    family = _cjk_font() if any(ord(c) > 0x2E7F for w in words.values() for c in w) else None
    with matplotlib.rc_context({"font.family": [family, "DejaVu Sans"]} if family else {}):
        return _draw(rows, levels, words)


def _draw(rows: Sequence[dict[str, Any]], levels: Sequence[str], words: dict[str, str]) -> bytes:
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    fig = Figure(figsize=(7, 3.2), dpi=110)
    ax = fig.subplots()
    xs = [r["order"] for r in rows]
    ys = [r["dose_index"] for r in rows]
    if rows:
        ax.step(xs, ys, where="mid", color="#9aa5b1", linewidth=1, zorder=1)
    for r in rows:
        dlt = r["dlt"] == "dlt"
        ax.scatter([r["order"]], [r["dose_index"]], marker="X" if dlt else "o", s=80 if dlt else 50,
                   color="#c0392b" if dlt else ("#2e86de" if r["dlt"] == "no_dlt" else "#b2bec3"),
                   edgecolors="black", linewidths=0.5, zorder=2)
    ax.set_yticks(range(1, len(levels) + 1), list(levels))
    ax.set_ylim(0.5, len(levels) + 0.5)
    ax.set_xticks(xs, [r["subject"] for r in rows], rotation=45, ha="right", fontsize=7)
    ax.set_xlim(0.5, max([*xs, 1]) + 0.5)
    ax.set_xlabel(words["x"])
    ax.set_ylabel(words["y"])
    ax.legend(handles=[
        Line2D([], [], marker="o", linestyle="", color="#2e86de", label=words["no_dlt"]),
        Line2D([], [], marker="X", linestyle="", color="#c0392b", label=words["dlt"]),
        Line2D([], [], marker="o", linestyle="", color="#b2bec3", label=words["pending"]),
    ], loc="upper left", fontsize=7, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
