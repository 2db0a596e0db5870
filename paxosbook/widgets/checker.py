"""Notebook panels for the model checker (ipywidgets).

* ``MutantPanel``: pick a planted bug; the ``actors`` model is searched and the shortest
  counterexample is listed step by step and drawn as a sequence diagram.
* ``QuorumPanel``: pick N acceptors and quorum sizes Q1, Q2; the ``tla`` model (Flexible
  Paxos quorums) is searched for an agreement violation, next to the intersection test.
* ``quorum_grid(n)``: the same verdicts for every (Q1, Q2), as a DataFrame.

Controls are built so that no combination is invalid (Q1, Q2 sliders follow N); anything that
still goes wrong is shown as one line in the panel, never as a traceback.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from ..check.engine import explore
from ..check.model import CheckResult
from ..check.scenarios import NONE, SCENARIOS
from ..check.tla import TlaModel
from ..core import PaxosbookError
from ..views import sequence_diagram, style
from .figures import AutosizeOnDisplay, update_figure
from .layout import row
from .plotlyjs import figure_widget

MAX_SECONDS = 20.0
"""A panel's search stops after this long (the result then says it is partial)."""


def _diagram(result: CheckResult, title: str) -> go.Figure:
    return sequence_diagram(result.violations[0].run, title=title)


def _placeholder(title: str) -> go.Figure:
    return go.Figure(layout={"title": {"text": title, "x": 0.01}, "height": 200,
                             "template": style.TEMPLATE})


def describe(result: CheckResult) -> str:
    """The verdict and, if any, the counterexample, as HTML."""
    head = (f"{result.distinct_states:,} distinct states, {result.total_states:,} generated, "
            f"depth {result.depth}, {result.seconds:.2f} s")
    if not result.violations:
        verdict = ("no property violated in any reachable state" if result.complete
                   else f"nothing found before the {result.stop_reason.replace('_', ' ')} limit")
        return f"<b>{html.escape(verdict)}</b><br>{head}"
    cex = result.violations[0]
    steps = "".join(f"<li><code>{html.escape(str(a))}</code></li>" for a in cex.actions)
    return (f"<b>violated: {html.escape(', '.join(cex.invariants))}</b> after "
            f"{len(cex.actions)} steps: {html.escape(cex.message)}<br>{head}<ol>{steps}</ol>")


class MutantPanel(AutosizeOnDisplay, w.VBox):
    """A dropdown of planted bugs; the counterexample of the chosen one."""

    def __init__(self, initial: str = "reuse-ballot") -> None:
        options = [(n if n != NONE else "none (the correct protocol)", n) for n in SCENARIOS]
        self.choice = w.Dropdown(options=options, value=initial, description="bug",
                                 layout=w.Layout(width="420px"))
        self.about = w.HTML()
        self.text = w.HTML()
        self.figure = figure_widget()
        self.result: CheckResult | None = None
        self.choice.observe(lambda _: self.update(), names="value")
        super().__init__([self.choice, self.about, self.text, self.figure])
        self.update()

    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [self.figure]

    def update(self) -> None:
        s = SCENARIOS[self.choice.value]
        self.about.value = f"<i>{html.escape(s.description)}</i>"
        try:
            self.result = explore(s.model(), symmetry=True, max_seconds=MAX_SECONDS)
            self.text.value = describe(self.result)
            if self.result.violations:
                update_figure(self.figure, _diagram(self.result, f"counterexample: {s.name}"))
            else:
                update_figure(self.figure, _placeholder("no counterexample"))
        except (PaxosbookError, RuntimeError) as exc:
            self.text.value = f"<b>cannot check this:</b> {html.escape(str(exc))}"


class QuorumPanel(AutosizeOnDisplay, w.VBox):
    """Sliders N, Q1, Q2; intersection test next to the model checker's verdict."""

    def __init__(self, n: int = 3, q1: int = 1, q2: int = 2) -> None:
        label = {"description_width": "initial"}  # the whole label, never "Q1 (phase..."
        self.n = w.IntSlider(value=n, min=1, max=4, description="N acceptors", style=label)
        self.q1 = w.IntSlider(value=q1, min=1, max=n, description="Q1 (phase 1)", style=label)
        self.q2 = w.IntSlider(value=q2, min=1, max=n, description="Q2 (phase 2)", style=label)
        self.text = w.HTML()
        self.figure = figure_widget()
        self.result: CheckResult | None = None
        self.n.observe(self._on_n, names="value")
        for slider in (self.q1, self.q2):
            slider.observe(lambda _: self.update(), names="value")
        super().__init__([row([self.n, self.q1, self.q2]), self.text, self.figure])
        self.update()

    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [self.figure]

    def _on_n(self, _: Any) -> None:
        n = self.n.value
        for slider in (self.q1, self.q2):
            slider.max = n
            slider.value = min(slider.value, n)
        self.update()

    def update(self) -> None:
        n, q1, q2 = self.n.value, min(self.q1.value, self.n.value), min(self.q2.value,
                                                                          self.n.value)
        meet = q1 + q2 > n
        try:
            model = TlaModel.flexible(n, q1, q2, values=2, max_ballot=1,
                                      invariants=["agreement"])
            self.result = explore(model, max_seconds=MAX_SECONDS)
        except PaxosbookError as exc:
            self.text.value = f"<b>cannot check this:</b> {html.escape(str(exc))}"
            return
        quorums = ("every phase-1 quorum meets every phase-2 quorum" if meet else
                   "some phase-1 quorum and some phase-2 quorum have no acceptor in common")
        self.text.value = (f"Q1 + Q2 = {q1 + q2} {'>' if meet else '<='} N = {n}: {quorums}."
                           f"<br>{describe(self.result)}")
        if self.result.violations:
            update_figure(self.figure, _diagram(self.result, f"Q1={q1}, Q2={q2}, N={n}"))
        else:
            update_figure(self.figure, _placeholder("agreement holds"))


def quorum_grid(n: int, values: int = 2, max_ballot: int = 1) -> pd.DataFrame:
    """For every (Q1, Q2): do the quorums intersect, and does agreement hold in every state?"""
    rows = []
    for q1 in range(1, n + 1):
        for q2 in range(1, n + 1):
            model = TlaModel.flexible(n, q1, q2, values, max_ballot, invariants=["agreement"])
            r = explore(model)
            rows.append({"N": n, "Q1": q1, "Q2": q2, "Q1+Q2>N": q1 + q2 > n,
                         "quorums intersect": model.intersects(),
                         "agreement holds": r.ok and r.complete,
                         "states": r.distinct_states,
                         "counterexample steps": len(r.violations[0].actions)
                         if r.violations else None})
    return pd.DataFrame(rows).astype({"counterexample steps": "Int64"})
