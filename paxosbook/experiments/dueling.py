"""Exact numbers for dueling proposers, checked against a seeded sweep of the simulator.

``exact_ballots(proposers, window)`` runs the Markov chain of ``duelchain`` (its docstring
states the model and its assumptions): the exact distribution of the number of ballots until a
decision, for constant delays and the discrete randomised backoff (``backoff="discrete"``: a
whole number of round trips, uniform on a window that doubles after each failed ballot).
``sampled_ballots`` runs the real protocol in the simulator with the same settings
(``settings``) over seeds, and ``compare`` puts the two side by side: the exact mean against the
sampled mean and its 95% bootstrap interval, each ``P(ballots = n)`` against the sampled rate and
its Wilson interval, and a plotly figure (exact as lines and markers, sampled as bars with error
bars)::

    result = compare(proposers=(2, 3), windows=(1, 2, 4), seeds=400)
    result.table, result.figure

What the chain shows: with constant delays a proposer learns that it was pre-empted (its Accept
refused) exactly when its rival's Accepts leave, so its new Prepare can at best arrive together
with them, and the simulator delivers the rival's first. Two proposers therefore never duel:
the second ballot decides (``P(2) = 1`` for every window). A third proposer can pre-empt the
winner, and from three on the backoff decides how long the relay lasts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any, NamedTuple

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..config import MAX_WINDOW, Config
from ..core import Prepare, UsageError
from ..trace import LEARN, SEND, Run
from ..validation import check_int, check_number
from ..views import style
from .duelchain import distribution
from .stats import bootstrap_mean, wilson
from .sweep import sweep

LEVEL = 0.95
MAX_OFFSET = 16
MAX_PROPOSERS = 4
"""The chain's states grow fast with proposers: four take about a second, five minutes."""
MAX_SLOTS = 10_000
"""Round trips the chain is run for at most (the undecided mass left is reported)."""
METRIC = "ballots_to_decision"
SHOWN = 1e-3
"""The figure leaves out the n the runs never hit whose exact probability is below this."""


class Comparison(NamedTuple):
    """``table``: per (proposers, window) the exact and the sampled mean; ``probabilities``:
    per n as well; ``figure``: both distributions."""

    table: pd.DataFrame
    probabilities: pd.DataFrame
    figure: go.Figure


def settings(proposers: int, window: int, *, offset: int = 1) -> Config:
    """The simulated runs the chain models: 3 acceptors, constant one-way delay 0.5 (a round
    trip is 1.0), no faults, discrete backoff in slots of one round trip from a first window
    of ``window``, proposer ``i`` starting at ``i * offset`` round trips, a phase timeout of 4
    round trips (it never fires: every ballot is answered within one)."""
    _check(proposers, window, offset)
    return Config(acceptors=3, proposers=proposers, delay="constant", delay_mean=0.5,
                  timeout=4.0, backoff="discrete", backoff_base=1.0, backoff_window=window,
                  start_offset=float(offset), max_time=1e6)


def _check(proposers: int, window: int, offset: int) -> None:
    check_int("proposers", proposers, 1, MAX_PROPOSERS, why="the chain's size")
    check_int("window", window, 1, MAX_WINDOW)
    check_int("offset", offset, 0, MAX_OFFSET)


def exact_ballots(proposers: int, window: int, *, offset: int = 1,
                  tol: float = 1e-12) -> pd.DataFrame:
    """P(ballots until a decision = n) from the chain, one row per n with ``probability``
    (a float) and ``exact`` (the fraction as text). ``attrs``: ``mean`` (over the decided
    mass), ``tail`` (the mass still undecided when the chain stopped, at most ``tol`` unless
    it ran ``MAX_SLOTS`` round trips) and ``slots``."""
    _check(proposers, window, offset)
    check_number("tol", tol, 0.0, 1.0, open_lo=True)
    result = distribution(proposers, window, offset, tol=Fraction(tol), max_slots=MAX_SLOTS)
    probs = result.probabilities
    decided = sum(probs.values(), Fraction(0))
    table = pd.DataFrame({"proposers": proposers, "window": window, "ballots": list(probs),
                          "probability": [float(p) for p in probs.values()],
                          "exact": [str(p) for p in probs.values()]})
    mean = sum((n * p for n, p in probs.items()), Fraction(0)) / decided if decided else None
    table.attrs.update(mean=float(mean) if mean is not None else math.nan,
                       exact_mean=str(mean), tail=float(result.tail), slots=result.slots)
    return table


def ballots_to_decision(run: Run) -> float:
    """Ballots whose Prepares were sent no later than those of the ballot the learners first
    learned (NaN if nothing was learned): the chain's count, read off a trace."""
    records = run.records
    learned = next((r[4].ballot for r in records if r[1] == LEARN), None)
    if learned is None:
        return math.nan
    prepares = [(r[0], r[4].ballot) for r in records if r[1] == SEND and type(r[4]) is Prepare]
    start = min(t for t, b in prepares if b == learned)
    return float(len({b for t, b in prepares if t <= start}))


def sampled_ballots(proposers: int | Sequence[int], windows: int | Sequence[int],
                    seeds: int | Iterable[int], *, offset: int = 1,
                    **options: Any) -> pd.DataFrame:
    """One row per (proposers, window, seed) of ``settings``, with ``ballots_to_decision``,
    from ``sweep`` (``options`` go to it: ``executor``, ``workers``, ``progress``, ...; the
    executor is ``"local"`` unless given: a run takes milliseconds, less than a pool's start)."""
    props = [proposers] if isinstance(proposers, int) else list(proposers)
    wins = [windows] if isinstance(windows, int) else list(windows)
    if not props or not wins:
        raise UsageError("proposers/windows", "at least one value each", (props, wins))
    for p in props:
        for w in wins:
            _check(p, w, offset)
    base = settings(props[0], wins[0], offset=offset)
    options.setdefault("progress", False)
    options.setdefault("executor", "local")
    return sweep({"proposers": props, "backoff_window": wins}, seeds,
                 {METRIC: ballots_to_decision, "decided": "decided"}, base=base, **options)


def compare(proposers: Sequence[int] = (2, 3), windows: Sequence[int] = (1, 2, 4),
            seeds: int | Iterable[int] = 400, *, offset: int = 1, level: float = LEVEL,
            **options: Any) -> Comparison:
    """The chain against ``sampled_ballots`` for every (proposers, window)."""
    check_number("level", level, 0.0, 1.0, open_lo=True, open_hi=True)
    rows = sampled_ballots(proposers, windows, seeds, offset=offset, **options)
    means, probs = [], []
    for p, w in _pairs(rows["proposers"], rows["backoff_window"]):
        group = rows[(rows["proposers"] == p) & (rows["backoff_window"] == w)]
        exact = exact_ballots(p, w, offset=offset)
        sample = group[METRIC].to_numpy(dtype=float)
        mean, lo, hi = bootstrap_mean(sample, level)
        means.append({"proposers": p, "window": w, "exact_mean": exact.attrs["mean"],
                      "sampled_mean": mean, "lo": lo, "hi": hi, "runs": len(sample),
                      "undecided": int((~group["decided"]).sum()),
                      "inside": bool(lo <= exact.attrs["mean"] <= hi),
                      "tail": exact.attrs["tail"]})
        probs.append(_per_n(exact, sample, level))
    probabilities = pd.concat(probs, ignore_index=True)
    return Comparison(pd.DataFrame(means), probabilities, figure(probabilities, level))


def _pairs(proposers: pd.Series, windows: pd.Series) -> list[tuple[int, int]]:
    """The distinct (proposers, window) of two columns, sorted."""
    return sorted({(int(p), int(w)) for p, w in zip(proposers, windows, strict=True)})


def _per_n(exact: pd.DataFrame, sample: Any, level: float) -> pd.DataFrame:
    """Each n the chain or the sample has: exact P(n), sampled count, rate, Wilson interval."""
    p = dict(zip(exact["ballots"], exact["probability"], strict=True))
    counts = pd.Series(sample).value_counts()
    ns = sorted(set(p) | {int(n) for n in counts.index if not math.isnan(n)})
    rows = []
    for n in ns:
        k = int(counts.get(float(n), 0))
        lo, hi = wilson(k, len(sample), level)
        rows.append({"proposers": exact["proposers"].iloc[0], "window": exact["window"].iloc[0],
                     "ballots": n, "exact": p.get(n, 0.0), "runs": k,
                     "sampled": k / len(sample), "lo": lo, "hi": hi,
                     "inside": bool(lo <= p.get(n, 0.0) <= hi)})
    return pd.DataFrame(rows)


def figure(probabilities: pd.DataFrame, level: float = LEVEL) -> go.Figure:
    """One panel per (proposers, window): sampled P(n) as bars with Wilson error bars, the
    chain's as markers on a line; each panel shows the n sampled or of probability at least
    ``SHOWN``."""
    keys = _pairs(probabilities["proposers"], probabilities["window"])
    props = sorted({p for p, _ in keys})
    wins = sorted({w for _, w in keys})
    fig = make_subplots(rows=len(props), cols=len(wins), shared_yaxes=True,
                        horizontal_spacing=0.06, vertical_spacing=0.16,
                        subplot_titles=[f"{p} proposers, window {w}" for p in props
                                        for w in wins])
    fig.update_annotations(font_size=11)  # the panel titles: three fit side by side at 1024 px
    sampled, exact = style.LINE_PALETTE[0], style.LINE_PALETTE[1]
    for p, w in keys:
        part = probabilities[(probabilities["proposers"] == p) & (probabilities["window"] == w)
                             & ((probabilities["exact"] >= SHOWN) | (probabilities["runs"] > 0))]
        row, col = props.index(p) + 1, wins.index(w) + 1
        first = row == 1 and col == 1
        err = {"type": "data", "array": part["hi"] - part["sampled"],
               "arrayminus": part["sampled"] - part["lo"], "thickness": 1}
        fig.add_trace(go.Bar(x=part["ballots"], y=part["sampled"], error_y=err,
                             marker_color=sampled, opacity=0.6, name=f"simulator ({level:.0%} "
                             "Wilson)", legendgroup="sim", showlegend=first), row=row, col=col)
        fig.add_trace(go.Scatter(x=part["ballots"], y=part["exact"], mode="lines+markers",
                                 line={"color": exact}, name="Markov chain (exact)",
                                 legendgroup="exact", showlegend=first), row=row, col=col)
        lo, hi = int(part["ballots"].min()), int(part["ballots"].max())
        fig.update_xaxes(range=[lo - 0.6, hi + 0.6], dtick=max(1, math.ceil((hi - lo + 1) / 8)),
                         row=row, col=col)
    fig.update_xaxes(title_text="ballots until a decision", row=len(props))
    fig.update_yaxes(title_text="P(ballots = n)", col=1)
    height, top, bottom = 260 * len(props) + 140, 90, 120
    below = -75 / (height - top - bottom)  # the legend 75 px under the plots: clear of the
    fig.update_layout(                     # x axis' ticks and title
        title="Dueling proposers: exact distribution against the simulator", height=height,
        margin={"t": top, "b": bottom}, template=style.TEMPLATE, bargap=0.3,
        legend={**style.LEGEND_BELOW, "y": below})
    return fig
