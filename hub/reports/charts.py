"""Charts drawn on the hub (matplotlib, Agg, no pyplot: safe in the web's threads): SVG for the page,
PNG for the PDF and the workbook. Nothing is fetched from the internet to show them.

>>> from hub.reports.model import Chart
>>> chart = Chart("x", "Kedatangan", "bars", ["07", "08"], {"Tiket": [3.0, 5.0]})
>>> svg = render(chart, "svg")
>>> svg.startswith(b"<?xml") and b"Kedatangan" in svg
True
>>> render(Chart("x", "Kedatangan", "bars", ["07", "08"], {"Tiket": [3.0, 5.0]}), "svg") is svg  # drawn once
True
"""

from __future__ import annotations

import functools
import hashlib
import io
import math
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Literal

from hub.reports.model import Chart

if TYPE_CHECKING:
    from matplotlib.figure import Figure
COLOURS = ["#0e7490", "#f59e0b", "#dc2626", "#64748b"]  # teal, amber, red, grey: good, waiting, bad, other
Format = Literal["svg", "png"]
ANNOTATED_CELLS = 200  # a heat map writes its values in the cells up to this many cells
CACHED = 48  # drawn charts kept: a page shown again, a PDF then a workbook draw each chart once
_drawn: OrderedDict[str, bytes] = OrderedDict()
_drawn_lock = threading.Lock()


def _bars(figure: Figure, chart: Chart) -> None:
    axes = figure.subplots()
    count = max(1, len(chart.series))
    width = 0.8 / count
    for index, (name, values) in enumerate(chart.series.items()):
        offsets = [x + (index - (count - 1) / 2) * width for x in range(len(chart.labels))]
        heights = [math.nan if v is None else v for v in values]
        axes.bar(offsets, heights, width, label=name, color=COLOURS[index % len(COLOURS)])
    axes.set_xticks(range(len(chart.labels)), chart.labels, rotation=45 if len(chart.labels) > 12 else 0)
    axes.set_ylabel(chart.unit)
    heights_all = [v for series in chart.series.values() for v in series if v is not None]
    if all(float(v).is_integer() for v in heights_all):  # counts: no tick at 0.5 of a patient
        from matplotlib.ticker import MaxNLocator

        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    if len(chart.series) > 1:
        axes.legend(frameon=False)


def _heatmap(figure: Figure, chart: Chart) -> None:
    axes = figure.subplots()
    image = axes.imshow(chart.grid, cmap="YlOrRd", aspect="auto", vmin=0)
    axes.set_xticks(range(len(chart.labels)), chart.labels)
    axes.set_yticks(range(len(chart.rows)), chart.rows)
    axes.set_xlabel("Jam")
    highest = max((v for row in chart.grid for v in row), default=0.0) or 1.0
    if len(chart.rows) * len(chart.labels) <= ANNOTATED_CELLS:
        for y, row in enumerate(chart.grid):
            for x, value in enumerate(row):
                if value:
                    colour = "white" if value > highest * 0.6 else "black"
                    axes.text(x, y, f"{value:.1f}", ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axes, label=chart.unit, shrink=0.9)


@functools.cache
def _figure_class() -> type[Figure]:
    """matplotlib, imported and set up on the first chart (it costs the hub's start a second or two on a
    Raspberry Pi otherwise)."""
    import matplotlib
    from matplotlib.figure import Figure

    matplotlib.rcParams.update(
        {
            "svg.fonttype": "none",  # text stays text in the SVG: small, and searchable in the page
            "svg.hashsalt": "antrean",  # the same chart gives the same file
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return Figure


def render(chart: Chart, fmt: Format, *, width_in: float = 7.5, height_in: float = 3.2) -> bytes:
    """``chart`` as an SVG or PNG image; the same chart (same data) is drawn once and then reused."""
    key = hashlib.sha256(repr((chart, fmt, width_in, height_in)).encode()).hexdigest()
    with _drawn_lock:
        if key in _drawn:
            _drawn.move_to_end(key)
            return _drawn[key]
    image = _draw(chart, fmt, width_in, height_in)
    with _drawn_lock:
        _drawn[key] = image
        while len(_drawn) > CACHED:
            _drawn.popitem(last=False)
    return image


def _draw(chart: Chart, fmt: Format, width_in: float, height_in: float) -> bytes:
    figure = _figure_class()(figsize=(width_in, height_in), dpi=150, layout="constrained")
    figure.suptitle(chart.title, fontweight="bold")
    if chart.kind == "heatmap":
        _heatmap(figure, chart)
    else:
        _bars(figure, chart)
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {}
    figure.savefig(buffer, format=fmt, metadata=metadata)
    return buffer.getvalue()
