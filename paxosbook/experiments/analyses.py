"""The analyses: a sweep's rows in, a table and a plotly figure out.

Each analysis groups the rows of a sweep by the parameters it studies and reports a rate (with
a Wilson interval) or a mean or ratio (with a seeded bootstrap interval). ``STUDIES`` holds the
grid and base config each analysis was written for, so a notebook cell is two lines::

    results = DUELING.sweep(seeds=200)
    table, figure = dueling_proposers(results, deadline=20)

Parameters an analysis does not study must hold one value in the rows given (filter first);
mixing them silently would average over them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core import UsageError
from ..views import style
from .grid import CONFIG_DTYPES
from .runner import METRIC_DTYPES
from .stats import bootstrap_mean, bootstrap_ratio, wilson
from .sweep import sweep

LEVEL = 0.95
BACKOFFS = ("none", "fixed", "exponential")


class Analysis(NamedTuple):
    table: pd.DataFrame
    figure: go.Figure


@dataclass(frozen=True)
class Study:
    """The grid and base config an analysis was written for."""

    name: str
    grid: Mapping[str, Sequence[Any]]
    base: Mapping[str, Any] = field(default_factory=dict)

    def sweep(self, seeds: int | Iterable[int], **options: Any) -> pd.DataFrame:
        """``sweep(self.grid, seeds, base=self.base, **options)``."""
        return sweep(dict(self.grid), seeds, base=dict(self.base), **options)


DECISION = Study("decision", {"drop": [0.0, 0.1, 0.2, 0.3, 0.4], "acceptors": [3, 5, 7]},
                 {"proposers": 1, "max_time": 100.0})
MESSAGES = Study("messages", {"proposers": [1, 2, 3, 4], "duplicate": [0.0, 0.1, 0.3]},
                 {"acceptors": 5, "max_time": 100.0})
DUELING = Study("dueling", {"backoff": list(BACKOFFS), "proposers": [2, 3, 4, 5]},
                {"acceptors": 5, "max_time": 100.0})
FLEXIBLE = Study("flexible", {"acceptors": [5], "q1": [1, 2, 3, 4, 5], "q2": [1, 2, 3, 4, 5]},
                 {"proposers": 3, "delay": "exponential", "unsafe": True,
                  "stop_when_decided": False, "max_time": 100.0})
"""Flexible Paxos with non-intersecting quorums allowed. Three proposers start together and
exponential delays reorder their messages, so two of them can each gather quorums that do not
meet; runs go on after the first decision (``stop_when_decided=False``) so that a second,
conflicting choice has the time to happen."""
STUDIES = {s.name: s for s in (DECISION, MESSAGES, DUELING, FLEXIBLE)}


# -- grouping helpers ----------------------------------------------------------------------------
def _need(results: pd.DataFrame, columns: Sequence[str], dims: Sequence[str]) -> None:
    missing = [c for c in columns if c not in results.columns]
    if missing:
        raise UsageError("results", f"sweep rows with the columns {list(columns)}",
                         f"rows lacking {missing}")
    if results.empty:
        raise UsageError("results", "at least one row", "an empty frame")
    for c in results.columns:
        if (c in CONFIG_DTYPES and c not in METRIC_DTYPES and c not in dims
                and results[c].nunique(dropna=False) > 1):
            raise UsageError("results", f"one value of {c!r} (this analysis studies "
                             f"{', '.join(dims)}; filter the rows first)",
                             sorted(results[c].unique().tolist()))


def _groups(results: pd.DataFrame, dims: Sequence[str]) -> Iterable[tuple[dict[str, Any],
                                                                         pd.DataFrame]]:
    for key, group in results.groupby(list(dims), sort=True, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        yield dict(zip(dims, values, strict=True)), group


def rate_table(results: pd.DataFrame, dims: Sequence[str], hits: pd.Series, name: str,
               level: float = LEVEL) -> pd.DataFrame:
    """Per group of ``dims``: runs, the count of ``hits`` (a boolean per row), its rate and
    Wilson interval (columns ``name``, ``name_rate``, ``name_lo``, ``name_hi``)."""
    rows = []
    for key, group in _groups(results.assign(_hit=hits.to_numpy()), dims):
        k, n = int(group["_hit"].sum()), len(group)
        lo, hi = wilson(k, n, level)
        rows.append({**key, "runs": n, name: k, f"{name}_rate": k / n, f"{name}_lo": lo,
                     f"{name}_hi": hi})
    return pd.DataFrame(rows)


def mean_table(results: pd.DataFrame, dims: Sequence[str], column: str, name: str,
               level: float = LEVEL) -> pd.DataFrame:
    """Per group: mean of ``column`` (NaNs left out) and its bootstrap interval."""
    rows = []
    for key, group in _groups(results, dims):
        mean, lo, hi = bootstrap_mean(group[column].to_numpy(dtype=float), level)
        rows.append({**key, name: mean, f"{name}_lo": lo, f"{name}_hi": hi})
    return pd.DataFrame(rows)


def _order(table: pd.DataFrame, column: str, order: Sequence[Any]) -> pd.DataFrame:
    rank = {v: i for i, v in enumerate(order)}
    return table.sort_values(column, key=lambda s: s.map(lambda v: rank.get(v, len(rank))),
                             kind="stable")


def add_lines(fig: go.Figure, table: pd.DataFrame, x: str, y: str, color: str | None, *,
              row: int | None = None, col: int | None = None, legend: bool = True,
              ci: tuple[str, str] | None = None, label: Callable[[Any], str] = str) -> None:
    """One line with error bars per value of ``color``; the interval is in the columns
    ``ci`` (default ``y_lo``/``y_hi``; for a rate ``name_rate``, ``name_lo``/``name_hi``)."""
    if ci is None:
        stem = y.removesuffix("_rate")
        ci = (f"{stem}_lo", f"{stem}_hi")
    palette = style.LINE_PALETTE
    keys = list(dict.fromkeys(table[color])) if color else [None]
    for i, key in enumerate(keys):
        part = table if color is None else table[table[color] == key]
        ys = part[y].to_numpy(dtype=float)
        err = {"type": "data", "array": part[ci[1]].to_numpy(dtype=float) - ys,
               "arrayminus": ys - part[ci[0]].to_numpy(dtype=float), "thickness": 1}
        name = y if color is None else f"{color}={label(key)}"
        fig.add_trace(go.Scatter(x=part[x], y=ys, error_y=err, mode="lines+markers", name=name,
                                 legendgroup=name, showlegend=legend,
                                 line={"color": palette[i % len(palette)]}), row=row, col=col)


def _pair(titles: tuple[str, str], x: str, ys: tuple[str, str], title: str) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=titles, horizontal_spacing=0.12)
    fig.update_xaxes(title_text=x)
    fig.update_yaxes(title_text=ys[0], row=1, col=1)
    fig.update_yaxes(title_text=ys[1], row=1, col=2)
    fig.update_layout(title=title, height=420, margin={"t": 90}, template=style.TEMPLATE)
    return fig


# -- the four analyses ---------------------------------------------------------------------------
def decision_vs_loss(results: pd.DataFrame, *, deadline: float | None = None,
                     level: float = LEVEL) -> Analysis:
    """Decision probability (by ``deadline`` if given) and mean time to decision versus the
    drop rate, one line per number of acceptors (sweep ``DECISION``)."""
    dims = ("acceptors", "drop")
    _need(results, [*dims, "decided", "time_to_decision"], dims)
    hits = results["decided"]
    if deadline is not None:
        hits = hits & (results["time_to_decision"] <= deadline)
    table = rate_table(results, dims, hits, "decided", level).merge(
        mean_table(results, dims, "time_to_decision", "time", level), on=list(dims))
    by = "" if deadline is None else f" by T={deadline:g}"
    fig = _pair((f"P(decided{by})", "time to decision (runs that decided)"), "drop rate",
                (f"decided{by}", "mean time"), f"Decision under message loss ({level:.0%} CIs)")
    add_lines(fig, table, "drop", "decided_rate", "acceptors", row=1, col=1)
    add_lines(fig, table, "drop", "time", "acceptors", row=1, col=2, legend=False)
    return Analysis(table, fig)


def messages_per_decision(results: pd.DataFrame, *, level: float = LEVEL) -> Analysis:
    """Messages sent per decision (all sends over runs that decided) versus the number of
    proposers, one line per duplication rate (sweep ``MESSAGES``)."""
    dims = ("duplicate", "proposers")
    _need(results, [*dims, "decided", "messages_sent"], dims)
    rows = []
    for key, group in _groups(results, dims):
        ratio, lo, hi = bootstrap_ratio(group["messages_sent"].to_numpy(),
                                        group["decided"].to_numpy(), level)
        rows.append({**key, "runs": len(group), "decisions": int(group["decided"].sum()),
                     "messages": int(group["messages_sent"].sum()), "per_decision": ratio,
                     "per_decision_lo": lo, "per_decision_hi": hi})
    table = pd.DataFrame(rows)
    fig = go.Figure()
    add_lines(fig, table, "proposers", "per_decision", "duplicate")
    fig.update_layout(title=f"Messages per decision ({level:.0%} bootstrap CIs)",
                      xaxis_title="proposers", yaxis_title="messages sent per decision",
                      height=420, template=style.TEMPLATE)
    return Analysis(table, fig)


def dueling_proposers(results: pd.DataFrame, *, deadline: float = 20.0,
                      level: float = LEVEL) -> Analysis:
    """Rate of runs not decided by ``deadline`` and ballots used versus the number of
    proposers, one line per backoff strategy (sweep ``DUELING``)."""
    dims = ("backoff", "proposers")
    _need(results, [*dims, "decided", "time_to_decision", "ballots"], dims)
    late = ~(results["decided"] & (results["time_to_decision"] <= deadline))
    table = rate_table(results, dims, late, "undecided", level).merge(
        mean_table(results, dims, "ballots", "ballots", level), on=list(dims))
    table = _order(table, "backoff", BACKOFFS).reset_index(drop=True)
    fig = _pair((f"not decided by T={deadline:g}", "ballots used"), "proposers",
                ("fraction of runs", "mean ballots"),
                f"Dueling proposers and backoff ({level:.0%} CIs)")
    add_lines(fig, table, "proposers", "undecided_rate", "backoff", row=1, col=1)
    add_lines(fig, table, "proposers", "ballots", "backoff", row=1, col=2, legend=False)
    return Analysis(table, fig)


def flexible_quorums(results: pd.DataFrame, *, level: float = LEVEL) -> Analysis:
    """Flexible Paxos: violation rate, time to decision and messages for each phase-1 and
    phase-2 quorum size (sweep ``FLEXIBLE``), as heatmaps over (Q1, Q2) with the boundary
    Q1 + Q2 = N + 1 drawn. Violations must be zero exactly where ``intersect`` holds."""
    dims = ("acceptors", "q1", "q2")
    _need(results, [*dims, "violations", "time_to_decision", "messages_sent"], dims)
    if results["acceptors"].nunique() != 1:
        raise UsageError("results", "one number of acceptors (filter the rows first)",
                         sorted(results["acceptors"].unique().tolist()))
    n = int(results["acceptors"].iloc[0])
    majority = n // 2 + 1
    rows = results.assign(q1=results["q1"].replace(0, majority),
                          q2=results["q2"].replace(0, majority))
    table = rate_table(rows, dims, rows["violations"] > 0, "violated", level)
    for column, name in (("time_to_decision", "time"), ("messages_sent", "messages")):
        table = table.merge(mean_table(rows, dims, column, name, level), on=list(dims))
    table.insert(3, "intersect", table["q1"] + table["q2"] > n)
    fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.09, subplot_titles=(
        "runs with a<br>safety violation", "mean time<br>to decision", "mean messages<br>sent"))
    for i, (column, fmt) in enumerate((("violated_rate", ".0%"), ("time", ".1f"),
                                       ("messages", ".0f")), start=1):
        grid = table.pivot(index="q2", columns="q1", values=column)
        fig.add_trace(go.Heatmap(
            x=grid.columns, y=grid.index, z=grid.to_numpy(), texttemplate=f"%{{z:{fmt}}}",
            colorscale="Reds" if i == 1 else "Blues", showscale=False,
            hovertemplate=f"Q1=%{{x}} Q2=%{{y}}: %{{z:{fmt}}}<extra></extra>"), row=1, col=i)
        bx, by = _boundary(grid.columns.to_numpy(), n)
        fig.add_trace(go.Scatter(x=bx, y=by, mode="lines", line={"color": "black", "width": 3},
                                 name=f"Q1 + Q2 = {n + 1} (safe above)", showlegend=i == 1),
                      row=1, col=i)
    fig.update_xaxes(title_text="Q1 (phase 1)", dtick=1)
    fig.update_yaxes(title_text="Q2 (phase 2)", dtick=1, col=1)
    fig.update_layout(title=f"Flexible Paxos, N={n} acceptors: quorums meet iff Q1 + Q2 > N",
                      height=470, margin={"t": 110, "b": 110}, template=style.TEMPLATE,
                      legend={"orientation": "h", "y": -0.32, "yanchor": "top"})
    return Analysis(table, fig)


def _boundary(q1s: np.ndarray, n: int) -> tuple[list[float], list[float]]:
    """A staircase between the cells with Q1 + Q2 <= N (below) and > N (above)."""
    xs: list[float] = []
    ys: list[float] = []
    for q1 in sorted(int(q) for q in q1s):
        edge = n - q1 + 0.5
        xs += [q1 - 0.5, q1 + 0.5]
        ys += [edge, edge]
    return xs, ys


def boundary_holds(table: pd.DataFrame) -> bool:
    """True when no intersecting configuration violated safety (the Flexible Paxos theorem)
    and some non-intersecting one did (the sweep was able to see violations at all)."""
    safe = table["intersect"]
    return bool((table.loc[safe, "violated"] == 0).all()
                and (table.loc[~safe, "violated"] > 0).any())
