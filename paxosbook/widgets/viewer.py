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
from ..views import narrate, state_html, state_table
from ..views.ballots import ballot_spec
from ..views.network import network_spec
from ..views.sequence import sequence_spec
from .figures import AutosizeOnDisplay, autosize_after_display, keep_state, show_spec
from .layout import row
from .plotlyjs import figure_widget

MAX_STEP_LINES = 8
GRAPH_WIDTH = 560  # px: the network graph (fits a 1024 px window with the file browser open),
# with the state table beside it or below it


def same_picture(a: Run, b: Run) -> bool:
    """Whether runs ``a`` and ``b`` draw the same figures: the same events on the same roles
    and quorums (their configs may differ in fields that did not change what happened)."""
    ca, cb = a.config.cluster(), b.config.cluster()
    return (a.records == b.records and ca.nodes == cb.nodes and ca.quorums == cb.quorums
            and ca.proposers == cb.proposers and ca.learners == cb.learners)


class RunViewer(AutosizeOnDisplay, w.VBox):
    """The figures of one ``Run`` and a cursor: ``sequence``, ``graph``, ``table``, ``ballots``
    (FigureWidgets / HTML), ``cursor``, ``back``, ``forward``, ``step_text``.

    ``folded=True`` shows the sequence diagram only, with everything else (scrubber, network
    graph, state table, ballot timeline) in a closed "more" section that is drawn, and kept up
    to date, from the moment the reader opens it: one live figure instead of three in the page.
    """

    def __init__(self, run: Run | None = None, *, ballots: bool = True,
                 folded: bool = False) -> None:
        self.run: Run | None = None
        self.times = np.zeros(1)
        self._moving = False
        self.sequence = figure_widget()
        self.graph = figure_widget()
        self.ballots = figure_widget() if ballots else None
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
        if self.ballots is not None:
            self.ballots.add_class("paxosbook-ballots")
        self.folded = folded
        """True until the details are shown: only the sequence diagram is kept up to date."""
        self.details = w.VBox()
        if folded:
            self.more = w.Accordion([self.details], selected_index=None)
            self.more.set_title(0, "more: time scrubber, network graph and state table"
                                + (", ballot timeline" if ballots else ""))
            self.more.observe(self._on_open, names="selected_index")
            super().__init__([self.sequence, self.more])
        else:
            self.details.children = self._detail_children()
            super().__init__([self.sequence, self.details])
        if run is not None:
            self.show(run)

    def _detail_children(self) -> list[w.Widget]:
        scrubber = w.HBox([self.back, self.cursor, self.forward],
                          layout=w.Layout(align_items="center"))
        lower = row([w.Box([self.graph], layout=w.Layout(width=f"{GRAPH_WIDTH + 10}px",
                                                         flex="0 0 auto")),
                     w.Box([self.table], layout=w.Layout(flex="1 1 auto", min_width="min-content",
                                                         padding="30px 0 0 8px"))])
        children: list[w.Widget] = [scrubber, self.step_text, lower]
        if self.ballots is not None:
            children.append(self.ballots)
        return children

    def _on_open(self, change: dict[str, object]) -> None:
        if change["new"] is None or not self.folded:
            return
        self.folded = False
        self.details.children = self._detail_children()
        if self.run is not None:
            self._show_details(self.run)
        if self.ballots is not None:
            autosize_after_display([self.ballots])

    # -- public -----------------------------------------------------------------------------
    def _autosized_figures(self) -> list[go.FigureWidget]:
        shown = (self.sequence,) if self.folded else (self.sequence, self.ballots)
        return [f for f in shown if f is not None]

    @property
    def time(self) -> float:
        """The simulated time under the cursor."""
        return float(self.times[self.cursor.value])

    def show(self, run: Run) -> None:
        """Display ``run``; the cursor goes to its last event. A run that draws the same
        pictures as the one shown (same events, same roles and quorums) sends nothing."""
        if self.run is not None and same_picture(self.run, run):
            self.run = run
            return
        self.run = run
        trace = run.trace
        self.times = np.unique(trace["time"].to_numpy()) if len(trace) else np.zeros(1)
        last = len(self.times) - 1
        show_spec(self.sequence, sequence_spec(run, time=float(self.times[last])))
        self._moving = True  # the cursor's own observer must not redraw half-way
        try:
            self.cursor.max = last
            self.cursor.value = last
        finally:
            self._moving = False
        if not self.folded:
            self._show_details(run)

    def _show_details(self, run: Run) -> None:
        self._show_instant()
        if self.ballots is not None:
            show_spec(self.ballots, ballot_spec(run))

    def step(self, delta: int) -> None:
        self.cursor.value = int(min(max(self.cursor.value + delta, 0), self.cursor.max))

    # -- internals ----------------------------------------------------------------------------
    def _on_cursor(self, change: dict[str, object]) -> None:
        if self.run is not None and not self._moving:
            self._move_cursor_line(self.time)
            if not self.folded:
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
        keep_state(self.sequence, data=False)

    def _show_instant(self) -> None:
        assert self.run is not None
        t = self.time
        run = self.run
        state = state_table(run, t)
        spec = network_spec(run, t, state=state)
        spec["layout"].update(width=GRAPH_WIDTH, autosize=False)
        show_spec(self.graph, spec)
        self.table.value = state_html(state)
        self.back.disabled = self.cursor.value <= 0
        self.forward.disabled = self.cursor.value >= self.cursor.max
        lines = narrate(run, t, t)["what"].tolist()
        more = len(lines) - MAX_STEP_LINES
        shown = [html.escape(x) for x in lines[:MAX_STEP_LINES]]
        if more > 0:
            shown.append(f"… and {more} more")
        self.step_text.value = (f"<div class='paxosbook-step'><b>t={t:.2f}</b> "
                                f"(instant {self.cursor.value + 1} of {self.cursor.max + 1}): "
                                + "; ".join(shown) + "</div>")
