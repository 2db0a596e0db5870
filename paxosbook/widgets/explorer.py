"""``Explorer``: change a Paxos run with sliders and watch it change.

Theory of operation. Every control is a public attribute named after the ``Config`` field it
sets (``explorer.drop``, ``explorer.acceptors``, ``explorer.seed``, ...). Any change builds a
new ``Config`` from the controls, re-runs the simulation for the seed and shows the new run in
the same figures (``explorer.sequence``, ``explorer.graph``, ...), updated in place. If the
combination is impossible (a crash of a node that does not exist, a jitter above the mean),
an inline message names the field, the allowed range and the value, and the last good picture
stays. ``with explorer.hold():`` (or ``explorer.set(**fields)``) changes several controls with
one re-run. The widget only wires controls to ``paxosbook.simulate`` and ``paxosbook.views``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from ..config import DELAYS, Config, Crash, Partition
from ..core import Backoff, PaxosbookError, UsageError
from ..sim import simulate
from ..trace import Run
from .batching import Batched
from .faults import format_crashes, format_partitions, parse_crashes, parse_partitions
from .figures import AutosizeOnDisplay
from .layout import columns, row
from .text import error_html, reproduce, summary_html
from .viewer import RunViewer


@dataclass(frozen=True)
class Slider:
    field: str
    lo: float
    hi: float
    step: float
    integer: bool = False


SLIDERS = (
    Slider("acceptors", 1, 9, 1, True), Slider("proposers", 1, 5, 1, True),
    Slider("learners", 1, 5, 1, True),
    Slider("drop", 0.0, 0.9, 0.01), Slider("duplicate", 0.0, 0.9, 0.01),
    Slider("delay_mean", 0.1, 5.0, 0.1), Slider("delay_jitter", 0.0, 5.0, 0.05),
    Slider("start_offset", 0.0, 10.0, 0.1), Slider("timeout", 0.5, 20.0, 0.5),
    Slider("backoff_base", 0.1, 5.0, 0.1),
)
CHOICES = {"delay": DELAYS, "backoff": tuple(b.value for b in Backoff)}
CONTROL_FIELDS = (*(s.field for s in SLIDERS), *CHOICES, "crashes", "partitions")
"""Config fields that have a control (plus ``seed``, which is not a config field)."""

DEFAULT_CONFIG = Config(acceptors=3, proposers=2, max_messages=3000)
"""What the explorer starts from when given no config: small, and capped so that any slider
position re-runs in well under a second."""

_LABELS = {"delay_mean": "delay mean", "delay_jitter": "jitter", "start_offset": "start offset",
           "backoff_base": "backoff base"}


class Explorer(Batched, AutosizeOnDisplay, w.VBox):
    """Sliders and fault editor for a ``Config`` and seed, and the run's figures.

    ``Explorer(config=None, seed=0, ballots=True, folded=False, **fields)``: start from
    ``config`` (default ``DEFAULT_CONFIG``) with ``fields`` replaced; ``ballots=False`` leaves
    out the ballot timeline; ``folded=True`` shows the sequence diagram only, the other figures
    in a closed section drawn when the reader opens it (a lighter page). Attributes: one
    control per config field in ``CONTROL_FIELDS`` and ``seed``; ``sequence``, ``graph``,
    ``ballots`` (FigureWidgets), ``table``; ``cursor``, ``back``, ``forward`` (the time
    scrubber); ``summary``, ``reproduce`` and ``message`` (HTML lines); ``config`` and ``run``
    (the last good ones).
    """

    def __init__(self, config: Config | None = None, *, seed: int = 0, ballots: bool = True,
                 folded: bool = False, **fields: Any) -> None:
        base = (config or DEFAULT_CONFIG).replace(**fields) if fields else (config
                                                                            or DEFAULT_CONFIG)
        self.base = base
        self.config: Config = base
        self.run: Run | None = None
        self.reproduce_code = ""
        self._held = 0
        self._pending = False
        self._build_controls(base, seed)
        self.viewer = RunViewer(ballots=ballots, folded=folded)
        self.sequence, self.graph, self.ballots = (self.viewer.sequence, self.viewer.graph,
                                                   self.viewer.ballots)
        self.table, self.cursor = self.viewer.table, self.viewer.cursor
        self.back, self.forward = self.viewer.back, self.viewer.forward
        self.summary = w.HTML()
        self.reproduce = w.HTML()
        self.message = w.HTML()
        super().__init__([self._controls_box(), self.message, self.summary, self.reproduce,
                          self.viewer])
        self.add_class("paxosbook-explorer")
        self.rerun()

    def _autosized_figures(self) -> list[Any]:
        return self.viewer._autosized_figures()

    # -- controls -----------------------------------------------------------------------------
    def _build_controls(self, base: Config, seed: int) -> None:
        for s in SLIDERS:
            value = getattr(base, s.field)
            cls = w.IntSlider if s.integer else w.FloatSlider
            ctl = cls(value=value, min=min(s.lo, value), max=max(s.hi, value), step=s.step,
                      description=_LABELS.get(s.field, s.field), continuous_update=False,
                      style={"description_width": "90px"}, layout=w.Layout(width="300px"))
            setattr(self, s.field, ctl)
        for name, options in CHOICES.items():
            setattr(self, name, w.Dropdown(options=options, value=getattr(base, name),
                                           description=name, layout=w.Layout(width="300px"),
                                           style={"description_width": "90px"}))
        self.seed = w.IntText(value=seed, description="seed", layout=w.Layout(width="300px"),
                              style={"description_width": "90px"})
        self.crashes = w.Text(value=format_crashes(base.crashes), description="crashes",
                              placeholder="a1@2:8; a2@5   (node@crash[:restart])",
                              continuous_update=False, layout=w.Layout(width="450px"),
                              style={"description_width": "90px"})
        self.partitions = w.Text(value=format_partitions(base.partitions),
                                 description="partitions", continuous_update=False,
                                 placeholder="a1,p1|a2,a3@1:6   (group|group@start[:end])",
                                 layout=w.Layout(width="450px"),
                                 style={"description_width": "90px"})
        self._build_fault_adders()
        for name in (*CONTROL_FIELDS, "seed"):
            getattr(self, name).observe(self._on_change, names="value")
        self.delay.observe(self._on_delay, names="value")
        self._on_delay(None)

    def _build_fault_adders(self) -> None:
        small = w.Layout(width="110px")
        self.fault_node = w.Dropdown(options=self.base.cluster().nodes, description="crash",
                                     layout=w.Layout(width="170px"),
                                     style={"description_width": "45px"})
        self.fault_at = w.FloatText(value=2.0, description="at", layout=small,
                                    style={"description_width": "25px"})
        self.fault_recover = w.FloatText(value=8.0, description="restart", layout=w.Layout(
            width="140px"), style={"description_width": "50px"})
        self.add_crash = w.Button(description="add crash", layout=w.Layout(width="auto"))
        self.isolate = w.Text(value="a1", description="cut off", placeholder="a1,a2",
                              layout=w.Layout(width="170px"), style={"description_width": "50px"})
        self.cut_from = w.FloatText(value=1.0, description="from", layout=small,
                                    style={"description_width": "35px"})
        self.cut_to = w.FloatText(value=6.0, description="to", layout=small,
                                  style={"description_width": "25px"})
        self.add_partition = w.Button(description="add partition", layout=w.Layout(width="auto"))
        self.clear_faults = w.Button(description="clear faults", layout=w.Layout(width="auto"))
        self.add_crash.on_click(lambda _: self._add_crash())
        self.add_partition.on_click(lambda _: self._add_partition())
        self.clear_faults.on_click(lambda _: self.set(crashes="", partitions=""))

    def _controls_box(self) -> w.Widget:
        grid = columns([getattr(self, n) for n in (
            "acceptors", "proposers", "learners", "drop", "duplicate", "seed", "delay",
            "delay_mean", "delay_jitter", "timeout", "backoff", "backoff_base", "start_offset")],
            310)
        adders = w.VBox([
            row([self.fault_node, self.fault_at, self.fault_recover, self.add_crash]),
            row([self.isolate, self.cut_from, self.cut_to, self.add_partition,
                 self.clear_faults])])
        faults = w.VBox([row([self.crashes, self.partitions]), adders])
        return w.VBox([grid, faults])

    def _on_delay(self, change: dict[str, Any] | None) -> None:
        self.delay_jitter.disabled = self.delay.value == "constant"

    def _add_crash(self) -> None:
        entry = format_crashes((Crash(self.fault_node.value, self.fault_at.value,
                                      self.fault_recover.value),))
        self.crashes.value = "; ".join(x for x in (self.crashes.value.strip(), entry) if x)

    def _add_partition(self) -> None:
        cut = [n.strip() for n in self.isolate.value.split(",") if n.strip()]
        rest = [n for n in self.config.cluster().nodes if n not in cut]
        entry = format_partitions((Partition((tuple(cut), tuple(rest)), self.cut_from.value,
                                             self.cut_to.value),))
        self.partitions.value = "; ".join(x for x in (self.partitions.value.strip(), entry) if x)

    # -- running ------------------------------------------------------------------------------
    def set(self, **values: Any) -> None:
        """Set controls by name (``explorer.set(drop=0.2, seed=3)``) with one re-run."""
        unknown = sorted(set(values) - {*CONTROL_FIELDS, "seed"})
        if unknown:
            raise UsageError("Explorer.set", f"controls from {sorted({*CONTROL_FIELDS, 'seed'})}",
                             unknown)
        with self.hold():
            for name, value in values.items():
                if name == "crashes" and not isinstance(value, str):
                    value = format_crashes(tuple(value))
                elif name == "partitions" and not isinstance(value, str):
                    value = format_partitions(tuple(value))
                getattr(self, name).value = value

    def config_from_controls(self) -> Config:
        """The ``Config`` the controls describe; ``UsageError`` if they describe none."""
        fields: dict[str, Any] = {  # float sliders step in binary: 0.1 + 0.2 != 0.3
            s.field: getattr(self, s.field).value if s.integer
            else round(getattr(self, s.field).value, 6) for s in SLIDERS}
        fields.update({name: getattr(self, name).value for name in CHOICES})
        if fields["delay"] == "constant":
            fields["delay_jitter"] = None
        fields["crashes"] = parse_crashes(self.crashes.value)
        fields["partitions"] = parse_partitions(self.partitions.value)
        return self.base.replace(**fields)

    def _on_change(self, change: dict[str, Any]) -> None:
        self.rerun()

    def rerun(self) -> None:
        """Build the config from the controls, simulate, and show the run (or the error)."""
        if self._held:
            self._pending = True
            return
        self._pending = False
        try:
            config = self.config_from_controls()
            run = simulate(config, seed=self.seed.value)
            self._show(config, run)
        except PaxosbookError as exc:
            self.message.value = error_html(exc)
        except Exception as exc:  # a bug must not print a traceback into the reader's page
            self.message.value = error_html(RuntimeError(f"internal error: "
                                                         f"{type(exc).__name__}: {exc}"))

    def _show(self, config: Config, run: Run) -> None:
        """The text lines first (they cost nothing and the reader looks there), then the
        figures, the sequence diagram first (see ``RunViewer.show``)."""
        self.message.value = ""
        self.config, self.run = config, run
        self.summary.value = summary_html(run.summary(digest=False), config.max_time)
        self.reproduce_code = reproduce(config, self.seed.value)
        self.reproduce.value = ("<div class='paxosbook-reproduce'>reproduce: <code>"
                                + html.escape(self.reproduce_code) + "</code> "
                                "<i>(after <code>import paxosbook as pb</code>)</i></div>")
        self.viewer.show(run)
        nodes = config.cluster().nodes
        if tuple(self.fault_node.options) != nodes:
            self.fault_node.options = nodes
