"""``RunViewer``: one run's figures with a time cursor you can scrub and step.

The sequence diagram shows the whole run with a cursor; the network graph and the state table
show the instant under the cursor; the step line tells what happened at that instant. The
cursor moves through the distinct times at which events happened (``cursor`` slider, ``back``
and ``forward`` buttons). ``show(run)`` swaps in another run, updating every figure in place.
"""

from __future__ import annotations

import html

import ipywidgets as w
import numpy as np
import plotly.graph_objects as go

from ..trace import Run
from ..views import narrate, state_table, style_state
from ..views.ballots import ballot_spec
from ..views.network import network_spec
from ..views.sequence import sequence_spec
from .figures import AutosizeOnDisplay, show_spec
from .layout import row

MAX_STEP_LINES = 8
GRAPH_WIDTH = 560  # px: the network graph (fits a 1024 px window with the file browser open),
# with the state table beside it or below it


class RunViewer(AutosizeOnDisplay, w.VBox):
    """The figures of one ``Run`` and a cursor: ``sequence``, ``graph``, ``table``, ``ballots``
    (FigureWidgets / HTML), ``cursor``, ``back``, ``forward``, ``step_text``."""

    def __init__(self, run: Run | None = None, *, ballots: bool = True) -> None:
        self.run: Run | None = None
        self.times = np.zeros(1)
        self._moving = False
        self.sequence = go.FigureWidget()
        self.graph = go.FigureWidget()
        self.ballots = go.FigureWidget() if ballots else None
        self.table = w.HTML(layout=w.Layout(overflow="auto"))
        self.cursor = w.IntSlider(value=0, min=0, max=0, description="event time",
                                  readout=False, continuous_update=True,
                                  layout=w.Layout(width="50%"),
                                  style={"description_width": "initial"})
        self.back = w.Button(description="◀ step back", layout=w.Layout(width="auto"))
        self.forward = w.Button(description="step forward ▶", layout=w.Layout(width="auto"))
        self.step_text = w.HTML()
        self.back.on_click(lambda _: self.step(-1))
        self.forward.on_click(lambda _: self.step(+1))
        self.cursor.observe(self._on_cursor, names="value")
        self.sequence.add_class("paxosbook-sequence")
        self.graph.add_class("paxosbook-graph")
        scrubber = w.HBox([self.back, self.cursor, self.forward],
                          layout=w.Layout(align_items="center"))
        lower = row([w.Box([self.graph], layout=w.Layout(width=f"{GRAPH_WIDTH + 10}px",
                                                         flex="0 0 auto")),
                     w.Box([self.table], layout=w.Layout(flex="1 1 auto", min_width="min-content",
                                                         padding="30px 0 0 8px"))])
        children: list[w.Widget] = [self.sequence, scrubber, self.step_text, lower]
        if self.ballots is not None:
            self.ballots.add_class("paxosbook-ballots")
            children.append(self.ballots)
        super().__init__(children)
        if run is not None:
            self.show(run)

    # -- public -----------------------------------------------------------------------------
    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [f for f in (self.sequence, self.ballots) if f is not None]

    @property
    def time(self) -> float:
        """The simulated time under the cursor."""
        return float(self.times[self.cursor.value])

    def show(self, run: Run) -> None:
        """Display ``run``; the cursor goes to its last event."""
        self.run = run
        cluster = run.config.cluster()
        trace = run.trace
        self.times = np.unique(trace["time"].to_numpy()) if len(trace) else np.zeros(1)
        last = len(self.times) - 1
        t = float(self.times[last])
        show_spec(self.sequence, sequence_spec(trace, time=t, cluster=cluster))
        if self.ballots is not None:
            show_spec(self.ballots, ballot_spec(trace, cluster=cluster))
        self._moving = True  # the cursor's own observer must not redraw half-way
        try:
            self.cursor.max = last
            self.cursor.value = last
        finally:
            self._moving = False
        self._show_instant()

    def step(self, delta: int) -> None:
        self.cursor.value = int(min(max(self.cursor.value + delta, 0), self.cursor.max))

    # -- internals ----------------------------------------------------------------------------
    def _on_cursor(self, change: dict[str, object]) -> None:
        if self.run is not None and not self._moving:
            self._move_cursor_line(self.time)
            self._show_instant()

    def _move_cursor_line(self, t: float) -> None:
        """The cursor is the last shape and the last annotation of the sequence diagram."""
        layout = self.sequence.layout
        if not layout.shapes or not layout.annotations:
            return
        with self.sequence.batch_update():
            layout.shapes[-1].x0 = t
            layout.shapes[-1].x1 = t
            layout.annotations[-1].x = t
            layout.annotations[-1].text = f" t={t:.2f}"

    def _show_instant(self) -> None:
        assert self.run is not None
        t = self.time
        cluster = self.run.config.cluster()
        trace = self.run.trace
        state = state_table(trace, t, cluster=cluster)
        spec = network_spec(trace, t, cluster=cluster, state=state)
        spec["layout"].update(width=GRAPH_WIDTH, autosize=False)
        show_spec(self.graph, spec)
        self.table.value = style_state(state).to_html()
        self.back.disabled = self.cursor.value <= 0
        self.forward.disabled = self.cursor.value >= self.cursor.max
        lines = narrate(trace, t, t)["what"].tolist()
        more = len(lines) - MAX_STEP_LINES
        shown = [html.escape(x) for x in lines[:MAX_STEP_LINES]]
        if more > 0:
            shown.append(f"… and {more} more")
        self.step_text.value = (f"<div class='paxosbook-step'><b>t={t:.2f}</b> "
                                f"(instant {self.cursor.value + 1} of {self.cursor.max + 1}): "
                                + "; ".join(shown) + "</div>")
