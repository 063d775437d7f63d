"""The screening-funnel figure (matplotlib, no display): SVG on the page, PNG and PDF to download.

Chinese labels need a CJK font; the first of the families below that is installed is used (Debian's
fonts-noto-cjk or fonts-wqy-microhei), with DejaVu Sans for the Latin text.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from celltrial.participants.rules.funnel import STAGES, Funnel

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "Source Han Sans SC", "DejaVu Sans"]


def _style() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    # Fonts are looked up when the figure is drawn, so the context must hold through savefig.
    return matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": CJK_FAMILIES,
                                  "svg.fonttype": "none", "axes.unicode_minus": False,
                                  "svg.hashsalt": "celltrial"})


def _figure(funnel: Funnel, labels: dict[str, str]) -> Any:
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    sites = list(funnel.by_site)
    series = [("overall", funnel.overall)] + ([(code, funnel.by_site[code]) for code in sites] if len(sites) > 1 else [])
    figure = Figure(figsize=(7.0, 1.0 + 0.55 * len(STAGES) * max(1, len(series)) ** 0.5), dpi=100)
    axes = figure.add_subplot()
    height = 0.8 / len(series)
    for i, (name, counts) in enumerate(series):
        values = [getattr(counts, stage) for stage in STAGES]
        positions = [y + i * height for y in range(len(STAGES))]
        bars = axes.barh(positions, values, height=height * 0.95,
                         label=labels.get("overall", name) if name == "overall" else name)
        for bar, value in zip(bars, values, strict=True):
            axes.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {value}", va="center", fontsize=9)
    axes.set_yticks([y + 0.4 - height / 2 for y in range(len(STAGES))], [labels.get(stage, stage) for stage in STAGES])
    axes.invert_yaxis()
    axes.set_xlabel(labels.get("axis", "children"))
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(series) > 1:
        axes.legend(frameon=False, fontsize=8)
    figure.tight_layout()
    return figure


def funnel_figure(funnel: Funnel, fmt: str, *, labels: dict[str, str]) -> bytes:
    """The figure as bytes. Drawing takes tens of milliseconds and the counts change far less often than
    the page is read, so figures are kept per (counts, labels, format)."""
    counts = (tuple(funnel.overall.as_list()), tuple((site, tuple(c.as_list())) for site, c in funnel.by_site.items()))
    return _cached(counts, tuple(sorted(labels.items())), fmt)


@functools.lru_cache(maxsize=64)
def _cached(counts: tuple[Any, ...], labels: tuple[tuple[str, str], ...], fmt: str) -> bytes:
    from celltrial.participants.rules.funnel import Counts

    overall, by_site = counts
    funnel = Funnel(Counts(**dict(overall)), {site: Counts(**dict(rows)) for site, rows in by_site})
    return _draw(funnel, fmt, dict(labels))


def _draw(funnel: Funnel, fmt: str, labels: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Software": "celltrial"} if fmt == "png" else {"Creator": "celltrial"}
    if fmt == "pdf":
        metadata["CreationDate"] = None  # the same counts give the same file
    if fmt == "svg":
        metadata["Date"] = None
    with _style():
        _figure(funnel, labels).savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()


def funnel_svg(funnel: Funnel, *, labels: dict[str, str]) -> str:
    """The SVG markup, without the XML prologue, to put inside the page."""
    text = funnel_figure(funnel, "svg", labels=labels).decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
