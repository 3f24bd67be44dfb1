"""The plots of the preference report (leaderboard, win rates), as inline SVG drawn as
`rosetta.services.svg_plots` says (object API, text as paths, constant ids)."""

from collections.abc import Sequence

import numpy as np
from matplotlib import rc_context
from matplotlib.figure import Figure

from rosetta.core.preference_report_model import BradleyTerry, WinRecord
from rosetta.services.svg_plots import new_figure, plot_style, svg_text

_STYLE = plot_style("rosetta-preference-report")


def leaderboardnew_figure(fit: BradleyTerry) -> Figure | None:
    """Bradley–Terry strengths with their 95% intervals, best on top; the reference model
    (fixed at 0) drawn hollow. ``None`` when no model has a strength."""
    rows = [s for s in fit.strengths if s.strength is not None][::-1]
    if not rows:
        return None
    figure, axes = new_figure(6.5, max(1.6, 0.32 * len(rows) + 0.9))
    strengths = np.array([s.strength or 0.0 for s in rows])
    lows = np.array([s.low if s.low is not None else s.strength or 0.0 for s in rows])
    highs = np.array([s.high if s.high is not None else s.strength or 0.0 for s in rows])
    positions = np.arange(len(rows))
    axes.axvline(0.0, color="#bbbbbb", linewidth=0.8)
    axes.errorbar(
        strengths,
        positions,
        xerr=np.vstack([strengths - lows, highs - strengths]),
        fmt="none",
        ecolor="#2e86c1",
        elinewidth=1.5,
        capsize=3,
    )
    reference = np.array([s.model == fit.reference for s in rows])
    axes.scatter(strengths[~reference], positions[~reference], color="#2e86c1", zorder=3)
    axes.scatter(
        strengths[reference],
        positions[reference],
        facecolors="white",
        edgecolors="#2e86c1",
        zorder=3,
    )
    axes.set_yticks(positions, [f"{s.model} (n={s.comparisons})" for s in rows])
    axes.set_xlabel(f"Bradley–Terry strength (log-odds vs {fit.reference}), 95% CI")
    if fit.prior_ties:
        axes.set_title(f"regularised: {fit.prior_ties:g} virtual tie per compared pair", fontsize=8)
    return figure


def leaderboard(fit: BradleyTerry) -> str | None:
    """`leaderboard_figure` as SVG."""
    with rc_context(_STYLE):
        figure = leaderboardnew_figure(fit)
        return None if figure is None else svg_text(figure)


def win_matrix(order: Sequence[str], matrix: Sequence[WinRecord]) -> str | None:
    """A heat map of how often the row model beat the column model among their decisive
    outcomes, models in `order` (best first), with the rate and the count written in."""
    cells = {(r.model, r.opponent): r for r in matrix}
    models = [m for m in order if any(key[0] == m for key in cells)]
    if len(models) < 2:
        return None
    size = len(models)
    rates = np.full((size, size), np.nan)
    with rc_context(_STYLE):
        figure, axes = new_figure(1.6 + 0.7 * size, 1.0 + 0.6 * size)
        for (row, column), _ in np.ndenumerate(rates):
            record = cells.get((models[row], models[column]))
            if record is None or record.win_rate.share is None:
                continue
            rates[row, column] = record.win_rate.share
            axes.text(
                column,
                row,
                f"{record.win_rate.share:.2f}\nn={record.win_rate.trials}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(record.win_rate.share - 0.5) > 0.3 else "black",
            )
        image = axes.imshow(rates, cmap="RdBu", vmin=0.0, vmax=1.0)
        axes.set_xticks(range(size), models, rotation=45, ha="right")
        axes.set_yticks(range(size), models)
        axes.set_xlabel("opponent")
        axes.set_ylabel("model")
        figure.colorbar(image, ax=axes, label="win rate (decisive outcomes)", shrink=0.8)
        return svg_text(figure)
