"""``Compare``: one set of fault controls driving every replication strategy at once.

Theory of operation. The controls (``drop``, ``jitter``, ``crash`` node and ``crash_at``
time, ``seed``, ``replicas``) make one ``LogConfig``; every strategy runs with it and the same
seed, and the widget shows the comparison table (strategy, consistent?, commands committed,
blocked?, messages, ...) and the replicas' logs side by side. A combination that cannot run
(a crash time below zero) gets an inline message naming the field, the allowed range and the
value, and the last good table stays; a strategy that cannot run with these settings (two
primaries need two replicas) says so in its row. The widget only wires controls to
``paxosbook.replication`` and ``paxosbook.views.log``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from ..config import Crash
from ..core import PaxosbookError, UsageError
from ..replication import STRATEGIES, LogConfig, LogRun, Strategy, run_log
from ..replication.run import COMPARE_COLUMNS, table_row
from ..views import style
from ..views.log import replica_log
from .batching import Batched
from .figures import AutosizeOnDisplay, update_figure
from .layout import columns
from .plotlyjs import figure_widget

NO_CRASH = "none"
CONTROLS = ("drop", "jitter", "crash", "crash_at", "seed", "replicas")
_LABELS = {"crash_at": "at t", "jitter": "delay jitter"}
_FIELDS = {"crashes": "crash", "crashes.node": "crash", "crashes.at": "crash at",
           "delay_jitter": "delay jitter", "replicas": "replicas", "drop": "drop",
           "seed": "seed"}


class Compare(Batched, AutosizeOnDisplay, w.VBox):
    """Fault controls, the comparison table and the logs of every strategy.

    ``Compare(config=None, seed=0, strategies=STRATEGIES, crash=None, crash_at=2.0)``:
    start from ``config`` (default: the example, ``LogConfig()``). Attributes: the controls
    (``drop``, ``jitter``, ``crash``, ``crash_at``, ``seed``, ``replicas``), ``table`` (HTML),
    ``logs`` (a FigureWidget), ``message`` (HTML, empty unless the last change was refused);
    ``config``, ``runs`` (strategy name -> ``LogRun``) and ``frame`` (the table as a
    DataFrame) of the last good settings.
    """

    def __init__(self, config: LogConfig | None = None, *, seed: int = 0,
                 strategies: Iterable[Strategy | str] = STRATEGIES, crash: str | None = None,
                 crash_at: float = 2.0) -> None:
        self.base = config or LogConfig()
        self.strategies = tuple(Strategy.parse(s) for s in strategies)
        self.config = self.base
        self.runs: dict[str, LogRun] = {}
        self.frame = pd.DataFrame(columns=list(COMPARE_COLUMNS))
        self._held = 0
        self._pending = False
        self._build(seed, crash, crash_at)
        self.table = w.HTML()
        self.message = w.HTML()
        self.logs = figure_widget()
        super().__init__([self._box(), self.message, self.table, self.logs])
        self.add_class("paxosbook-compare")
        self.rerun()

    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [self.logs]  # the page's width, not plotly's 700 px fallback

    # -- controls -------------------------------------------------------------------------------
    def _build(self, seed: int, crash: str | None, crash_at: float) -> None:
        cfg, wide, label = self.base, w.Layout(width="260px"), {"description_width": "80px"}
        self.drop = w.FloatSlider(value=cfg.drop, min=0.0, max=0.5, step=0.01,
                                  description="drop", continuous_update=False,
                                  layout=wide, style=label)
        self.jitter = w.FloatSlider(value=cfg.delay_jitter or 0.0, min=0.0,
                                    max=cfg.delay_mean, step=0.05, description="delay jitter",
                                    continuous_update=False, layout=wide, style=label)
        self.replicas = w.IntSlider(value=cfg.replicas, min=1, max=7, description="replicas",
                                    continuous_update=False, layout=wide, style=label)
        self.crash = w.Dropdown(options=self._nodes(cfg.replicas), value=crash or NO_CRASH,
                                description="crash", layout=wide, style=label)
        self.crash_at = w.FloatText(value=crash_at, description="at t", layout=wide,
                                    style=label)
        self.seed = w.IntText(value=seed, description="seed", layout=wide, style=label)
        self.replicas.observe(self._on_replicas, names="value")
        for name in CONTROLS:
            if name != "replicas":
                getattr(self, name).observe(self._on_change, names="value")

    def _nodes(self, replicas: int) -> list[str]:
        return [NO_CRASH, *self.base.proposers, *(f"r{i}" for i in range(1, replicas + 1))]

    def _box(self) -> w.Widget:
        return columns([getattr(self, n) for n in ("drop", "jitter", "replicas", "crash",
                                                   "crash_at", "seed")], 270)

    # -- running --------------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set controls by name (``compare.set(drop=0.2, crash="r1")``) with one re-run."""
        unknown = sorted(set(values) - set(CONTROLS))
        if unknown:
            raise UsageError("Compare.set", f"controls from {list(CONTROLS)}", unknown)
        with self.hold():
            if "replicas" in values:
                self.replicas.value = values.pop("replicas")
            for name, value in values.items():
                getattr(self, name).value = value

    def _on_replicas(self, change: dict[str, Any]) -> None:
        """Offer the nodes that exist; a crash of a replica that is gone becomes no crash."""
        options = self._nodes(self.replicas.value)
        keep = self.crash.value if self.crash.value in options else NO_CRASH
        with self.hold():
            self.crash.options = options
            self.crash.value = keep
            self._pending = True

    def _on_change(self, change: dict[str, Any]) -> None:
        if self._held:
            self._pending = True
            return
        self.rerun()

    def settings(self) -> LogConfig:
        """The ``LogConfig`` the controls describe (``UsageError`` if they cannot run)."""
        crashes = (() if self.crash.value == NO_CRASH
                   else (Crash(self.crash.value, self.crash_at.value),))
        return self.base.replace(drop=self.drop.value, delay_jitter=self.jitter.value,
                                 replicas=self.replicas.value, crashes=crashes)

    def rerun(self) -> None:
        """Run every strategy with the controls' settings; show the table and the logs."""
        self._pending = False
        try:
            config = self.settings()
            runs, rows = {}, []
            for strategy in self.strategies:
                try:
                    run = run_log(strategy, config, self.seed.value)
                except UsageError as exc:
                    if exc.field != "replicas":
                        raise
                    rows.append((strategy.value, None, None, None, None, None, None, str(exc)))
                    continue
                runs[strategy.title] = run
                rows.append(table_row(run))
        except PaxosbookError as exc:
            self.message.value = error_html(exc)
            return
        self.message.value = ""
        self.config, self.runs = config, runs
        self.frame = pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))
        self.table.value = table_html(self.frame)
        if runs:
            update_figure(self.logs, replica_log(runs))


def error_html(exc: BaseException) -> str:
    """One red line: the control, what it allows and what it got (no traceback)."""
    if isinstance(exc, UsageError):
        name = _FIELDS.get(exc.field, exc.field)
        text = f"{name}: must be {exc.allowed}; got {exc.given!r}"
    else:
        text = str(exc)
    return (f"<div class='paxosbook-error' style='color:{style.VIOLATION_COLOR}'>"
            f"{html.escape(text)} (the table shows the last settings that ran)</div>")


def table_html(frame: pd.DataFrame) -> str:
    """The comparison table, yes/no in green and red, blanks for a strategy that did not run."""
    def cell(column: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return "<td>—</td>"
        if column in ("consistent", "blocked"):
            good = bool(value) == (column == "consistent")
            colour = style.CHOSEN_COLOR if good else style.VIOLATION_COLOR
            return f"<td style='color:{colour};font-weight:bold'>{'yes' if value else 'no'}</td>"
        return f"<td>{html.escape(str(value))}</td>"

    head = "".join(f"<th style='text-align:left'>{html.escape(c).replace('/', '/<wbr>')}</th>"
                   for c in frame.columns)  # "messages/command" may break after its slash
    body = "".join("<tr>" + "".join(cell(c, v) for c, v in zip(frame.columns, row, strict=True))
                   + "</tr>" for row in frame.itertuples(index=False))
    # headers and notes wrap on a narrow page; narrower still, the table scrolls in its own
    # box (as JupyterLab shows a wide DataFrame) rather than being cut at the output's edge
    return ("<div style='overflow-x:auto;max-width:100%'>"
            "<table class='paxosbook-compare-table' style='border-collapse:collapse;"
            "white-space:normal'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


__all__ = ["CONTROLS", "Compare", "error_html", "table_html"]
