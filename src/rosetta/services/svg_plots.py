"""What the reports' plots share: matplotlib's object API (`Figure` without pyplot, so no
global figure state and no GUI backend, safe in a server thread) drawn to inline SVG with
text as paths (``svg.fonttype = path``, so a label can never become markup in the page)
and SVG ids salted with a constant (the same report draws the same bytes)."""

import io
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure


def plot_style(salt: str) -> dict[Any, Any]:
    """The rc settings a report's plots are drawn under (`matplotlib.rc_context`), its SVG
    ids salted with `salt`."""
    return {
        "svg.fonttype": "path",
        "svg.hashsalt": salt,
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure of `width` × `height` inches with one axes."""
    figure = Figure(figsize=(width, height))
    return figure, figure.subplots()


def svg_text(figure: Figure) -> str:
    """`figure` as an SVG element (no XML declaration, no date), to inline in a page."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]
