"""``ClusterPanel``: a real cluster in the notebook, with a kill -9 button per node.

Theory of operation. The panel wraps a ``paxosbook.net.live.LiveCluster`` (``panel.cluster``,
usable on its own) and only wires: a **start** and a **stop** button, a **kill -9** and a
**restart** button per node (each calls the cluster's method of that name), a status line,
and two figures drawn from the merged run so far: the sequence diagram (``views.sequence``)
and messages per second (``views.throughput``). While the cluster runs, a daemon thread
redraws them every ``every`` seconds (``refresh``), and once more when the run ends; a click
redraws at once. The cluster stops by itself after ``duration`` seconds; ``stop`` ends it
sooner and returns the run. Either way every node process is gone (``LiveCluster.stop``).
"""

from __future__ import annotations

import html
import threading
from typing import Any

import ipywidgets as w
import plotly.graph_objects as go

from ..net.live import LiveCluster
from ..net.run import NetRun
from ..validation import check_number
from ..views.sequence import sequence_spec
from ..views.throughput import throughput_spec
from .figures import AutosizeOnDisplay, show_spec
from .layout import row
from .plotlyjs import figure_widget


class ClusterPanel(AutosizeOnDisplay, w.VBox):
    """Buttons and live figures for a ``LiveCluster`` (built from ``**cluster`` if not
    given): ``start``, ``stop``, ``kill``, ``restart``, ``refresh``; the run so far is
    ``run``."""

    def __init__(self, cluster: LiveCluster | None = None, *, every: float = 0.5,
                 **options: Any) -> None:
        check_number("every", every, 0.05, 60.0)
        self.cluster = cluster if cluster is not None else LiveCluster(**options)
        self.every = every
        self._draw_lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self.start_button = w.Button(description="start", button_style="success")
        self.stop_button = w.Button(description="stop", button_style="danger", disabled=True)
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.kill_buttons: dict[str, w.Button] = {}
        self.restart_buttons: dict[str, w.Button] = {}
        cells = []
        for name in self.cluster.nodes:
            kill = w.Button(description=f"kill -9 {name}", layout=w.Layout(width="auto"))
            back = w.Button(description=f"restart {name}", layout=w.Layout(width="auto"))
            kill.on_click(lambda _, n=name: self.kill(n))
            back.on_click(lambda _, n=name: self.restart(n))
            self.kill_buttons[name], self.restart_buttons[name] = kill, back
            cells.append(w.VBox([kill, back], layout=w.Layout(margin="0 6px 0 0")))
        self.status = w.HTML()
        self.sequence = figure_widget()
        self.chart = figure_widget()
        for fig in (self.sequence, self.chart):  # redrawn from the ticker thread too
            fig._keep_at_once = True
        super().__init__([row([self.start_button, self.stop_button, self.status],
                              align_items="center"),
                          row(cells), self.chart, self.sequence])
        self._show(self.cluster.snapshot())

    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [self.sequence, self.chart]

    # -- wiring -----------------------------------------------------------------------------
    @property
    def run(self) -> NetRun:
        """The merged run so far (the final run once it is over)."""
        return self.cluster.snapshot()

    def start(self) -> ClusterPanel:
        """Start the cluster and the redrawing (once)."""
        if self.cluster.supervisor is None:
            self.cluster.start()
            self._ticker = threading.Thread(target=self._tick, name="paxosbook-panel",
                                            daemon=True)
            self._ticker.start()
        self.refresh()
        return self

    def kill(self, name: str) -> None:
        self.cluster.kill(name)
        self.refresh()

    def restart(self, name: str) -> None:
        self.cluster.restart(name)
        self.refresh()

    def stop(self) -> NetRun:
        """Stop the cluster now (every process gone) and show the final run."""
        run = self.cluster.stop()
        if self._ticker is not None:
            self._ticker.join()
        self.refresh()
        return run

    def wait(self) -> NetRun:
        """Wait until the cluster stops by itself (``duration``) and return the run."""
        run = self.cluster.wait()
        if self._ticker is not None:
            self._ticker.join()
        return run

    def _tick(self) -> None:
        while not self.cluster.ended(self.every):
            self.refresh()
        self.refresh()

    def refresh(self) -> None:
        """Redraw the figures, the buttons and the status line from the run so far."""
        self._show(self.cluster.snapshot())

    def _show(self, run: NetRun) -> None:
        with self._draw_lock:
            live = self.cluster.running
            down = self.cluster.down
            for name in self.cluster.nodes:
                self.kill_buttons[name].disabled = not live or name in down
                self.restart_buttons[name].disabled = not live or name not in down
            self.start_button.disabled = self.cluster.supervisor is not None
            self.stop_button.disabled = not live
            self.status.value = _status(run, self.cluster, live)
            show_spec(self.chart, throughput_spec(run, until=self.cluster.elapsed))
            show_spec(self.sequence, sequence_spec(run, title="merged trace of the real run"))


def _status(run: NetRun, cluster: LiveCluster, live: bool) -> str:
    s = run.summary(digest=False)
    state = (f"running, t = {cluster.elapsed:.1f} of {cluster.duration:g} s" if live
             else "stopped" if cluster.supervisor is not None else "not started")
    decided = f"decided {s.value!r}" if s.decided else "nothing decided yet"
    down = ", ".join(sorted(cluster.down)) or "none"
    bad = run.violations
    verdict = ("<span style='color:#2E7D32'>safety holds</span>" if not bad else
               "<span style='color:#C62828'>VIOLATED: "
               + html.escape(", ".join(sorted({v.property for v in bad}))) + "</span>")
    return (f"<b>{state}</b> · {decided} · {s.messages_sent} messages · "
            f"kills {run.kills}, restarts {run.restarts} · down: {down} · {verdict}")
