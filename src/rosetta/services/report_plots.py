"""The plots of the quality report, as inline SVG drawn as `rosetta.services.svg_plots`
says (object API, text as paths, constant ids)."""

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps, rc_context

from rosetta.core.quality_model import (
    ClassAgreement,
    Confusion,
    DriftPair,
    FindingCount,
    FindingsOnDay,
    LinkAgreementSummary,
)
from rosetta.services.svg_plots import new_figure, plot_style, svg_text

_STYLE = plot_style("rosetta-quality-report")
_SEVERITY_COLOURS = {"error": "#c0392b", "warning": "#e67e22", "info": "#2e86c1"}


def _height(rows: int) -> float:
    return max(1.6, 0.28 * rows + 0.8)


def class_agreement(classes: Sequence[ClassAgreement]) -> str | None:
    """Horizontal bars of F1 per class, one colour per modality."""
    rows = [c for c in classes if c.f1 is not None]
    if not rows:
        return None
    rows.sort(key=lambda c: (c.modality, c.label), reverse=True)
    modalities = sorted({c.modality for c in rows})
    palette = colormaps["tab10"]
    with rc_context(_STYLE):
        figure, axes = new_figure(6.5, _height(len(rows)))
        for index, modality in enumerate(modalities):
            picked = [(i, c) for i, c in enumerate(rows) if c.modality == modality]
            axes.barh(
                [i for i, _ in picked],
                [c.f1 or 0.0 for _, c in picked],
                color=palette(index),
                label=modality,
            )
        axes.set_yticks(range(len(rows)), [f"{c.label} ({c.modality})" for c in rows])
        axes.set_xlim(0, 1)
        axes.set_xlabel("F1 between annotators")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return svg_text(figure)


def confusion(matrix: Confusion) -> str:
    """A heat map of the labels matched pairs were given, with the counts written in."""
    counts = np.asarray(matrix.counts, dtype=float)
    size = len(matrix.labels)
    with rc_context(_STYLE):
        figure, axes = new_figure(1.2 + 0.55 * size, 1.0 + 0.5 * size)
        axes.imshow(counts, cmap="Blues")
        axes.set_xticks(range(size), matrix.labels, rotation=45, ha="right")
        axes.set_yticks(range(size), matrix.labels)
        peak = counts.max() if counts.size else 0.0
        for (row, column), value in np.ndenumerate(counts):
            if value:
                colour = "white" if value > peak / 2 else "black"
                axes.text(column, row, f"{value:.0f}", ha="center", va="center", color=colour)
        axes.set_title(matrix.modality)
        return svg_text(figure)


def link_agreement(links: LinkAgreementSummary) -> str | None:
    """Bars of link F1 per relation type, and overall."""
    rows = [(t.type, t.f1) for t in links.per_type if t.f1 is not None]
    if links.f1 is not None:
        rows.append(("all links", links.f1))
    if links.entity_f1 is not None:
        rows.append(("entity membership", links.entity_f1))
    if not rows:
        return None
    with rc_context(_STYLE):
        figure, axes = new_figure(6.5, _height(len(rows)))
        axes.barh(range(len(rows)), [value for _, value in rows], color="#6c5ce7")
        axes.set_yticks(range(len(rows)), [name for name, _ in rows])
        axes.set_xlim(0, 1)
        axes.set_xlabel("F1 between annotators")
        return svg_text(figure)


def findings_by_check(counts: Sequence[FindingCount]) -> str | None:
    """Stacked bars of open findings per check, by severity."""
    open_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for count in counts:
        if count.status == "open":
            open_counts[count.check][count.severity] += count.count
    if not open_counts:
        return None
    checks = sorted(open_counts, reverse=True)
    with rc_context(_STYLE):
        figure, axes = new_figure(6.5, _height(len(checks)))
        left = np.zeros(len(checks))
        for severity, colour in _SEVERITY_COLOURS.items():
            values = np.array([open_counts[c].get(severity, 0) for c in checks], dtype=float)
            axes.barh(range(len(checks)), values, left=left, color=colour, label=severity)
            left += values
        axes.set_yticks(range(len(checks)), checks)
        axes.set_xlabel("open findings")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return svg_text(figure)


def findings_over_time(days: Sequence[FindingsOnDay]) -> str | None:
    """Findings first seen per day, one line per check."""
    if not days:
        return None
    all_days = sorted({d.day for d in days})
    position = {day: i for i, day in enumerate(all_days)}
    by_check: dict[str, np.ndarray] = defaultdict(lambda: np.zeros(len(all_days)))
    for day in days:
        by_check[day.check][position[day.day]] += day.count
    with rc_context(_STYLE):
        figure, axes = new_figure(6.5, 2.8)
        for check in sorted(by_check):
            axes.plot(range(len(all_days)), by_check[check], marker="o", label=check)
        step = max(1, len(all_days) // 8)
        ticks = list(range(0, len(all_days), step))
        axes.set_xticks(ticks, [all_days[i] for i in ticks], rotation=30, ha="right")
        axes.set_ylabel("new findings")
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=7)
        return svg_text(figure)


def drift_pairs(pairs: Sequence[DriftPair]) -> str | None:
    """Bars of how often an entity is labelled at two levels, per class pair."""
    if not pairs:
        return None
    rows = sorted(pairs, key=lambda p: p.count)[-20:]
    with rc_context(_STYLE):
        figure, axes = new_figure(6.5, _height(len(rows)))
        axes.barh(range(len(rows)), [p.count for p in rows], color="#16a085")
        axes.set_yticks(range(len(rows)), [f"{p.finer} → {p.coarser}" for p in rows])
        axes.set_xlabel("entities labelled at both levels")
        return svg_text(figure)
