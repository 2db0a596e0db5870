"""Look at any sweep from any angle: ``plot_metric`` and its widget, ``explorer``.

``plot_metric(results, x, metric, color)`` plots one metric against one parameter, a line per
value of another; a true/false metric is shown as a rate with Wilson intervals, a number as a
mean with bootstrap intervals, averaged over every parameter that is neither ``x`` nor
``color``. ``explorer(results)`` wires three dropdowns to it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from ..core import UsageError
from ..views import style
from .analyses import LEVEL, Analysis, add_lines, mean_table, rate_table
from .grid import CONFIG_DTYPES
from .runner import METRIC_DTYPES

NONE = "(none)"


def parameters(results: pd.DataFrame) -> list[str]:
    """Config columns of ``results`` (the sweep's grid), in column order."""
    return [c for c in results.columns if c in CONFIG_DTYPES and c not in METRIC_DTYPES]


def metrics(results: pd.DataFrame) -> list[str]:
    """Columns of ``results`` that can be plotted: true/false or numbers, not parameters."""
    skip = {*parameters(results), "seed", "run"}
    return [c for c in results.columns if c not in skip
            and (pd.api.types.is_bool_dtype(results[c])
                 or pd.api.types.is_numeric_dtype(results[c]))]


def plot_metric(results: pd.DataFrame, x: str, metric: str, color: str | None = None, *,
                level: float = LEVEL) -> Analysis:
    """``metric`` against ``x``, one line per value of ``color`` (or one line)."""
    params, plottable = parameters(results), metrics(results)
    if x not in params:
        raise UsageError("x", "a parameter of this sweep: " + ", ".join(params), x)
    if metric not in plottable:
        raise UsageError("metric", "a metric of this sweep: " + ", ".join(plottable), metric)
    if color is not None and (color not in params or color == x):
        others = [p for p in params if p != x]
        raise UsageError("color", "another parameter of this sweep than the x axis: "
                         + (", ".join(others) or "(there is none)"), color)
    dims = [x] if color is None else [color, x]
    if pd.api.types.is_bool_dtype(results[metric]):
        table = rate_table(results, dims, results[metric], metric, level)
        y, label = f"{metric}_rate", f"fraction of runs with {metric}"
    else:
        table = mean_table(results, dims, metric, metric, level)
        y, label = metric, f"mean {metric}"
    fig = go.Figure()
    add_lines(fig, table, x, y, color)
    pooled = [p for p in params if p not in dims and results[p].nunique() > 1]
    note = f" (averaged over {', '.join(pooled)})" if pooled else ""
    fig.update_layout(title=f"{metric} vs {x}{note}, {level:.0%} CIs", xaxis_title=x,
                      yaxis_title=label, height=420, template=style.TEMPLATE)
    return Analysis(table, fig)


def view(results: pd.DataFrame, x: str, metric: str, color: str | None) -> go.Figure | str:
    """What the explorer shows for a choice: the figure, or a sentence saying what is wrong."""
    if color == x:
        return f"{x!r} is already on the x axis: choose another colour parameter, or {NONE}."
    try:
        return plot_metric(results, x, metric, color).figure
    except UsageError as exc:
        return str(exc)


def explorer(results: pd.DataFrame) -> Any:
    """A small panel: choose the x-axis parameter, the metric and the colour, see the plot."""
    import ipywidgets as w
    from IPython.display import display

    from ..widgets.layout import row

    params, plottable = parameters(results), metrics(results)
    if not params or not plottable:
        raise UsageError("results", "sweep rows with parameter and metric columns",
                         list(results.columns))
    x = w.Dropdown(options=params, value=params[0], description="x axis")
    metric = w.Dropdown(options=plottable, value=plottable[0], description="metric")
    color = w.Dropdown(options=[NONE, *params], value=params[1] if len(params) > 1 else NONE,
                       description="colour")
    out = w.Output()

    def redraw(_: Any = None) -> None:
        shown = view(results, x.value, metric.value, None if color.value == NONE else color.value)
        with out:
            out.clear_output(wait=True)
            if isinstance(shown, str):
                print(shown)
            else:
                display(shown)

    for dropdown in (x, metric, color):
        dropdown.observe(redraw, names="value")
    redraw()
    return w.VBox([row([x, metric, color]), out])
