"""``StepperWidget``: the reader is the network, with buttons.

Theory of operation. The panel wraps a ``paxosbook.stepper.Stepper`` (``widget.stepper``,
usable on its own) and only turns clicks into its calls: every button holds a path token
(``d4`` deliver message #4, ``x4`` drop, ``u4`` duplicate, ``t:p1:phase``, ``c:a1``, ``r:a1``,
``s:p1``) and ``do(token)`` steps the stepper and redraws. Pending messages are grouped by
receiver, one row each (the rows are a pool of widgets reused from step to step: a click
creates no widget); a down node's messages are listed with their delivery disabled. After each
step ``refresh`` shows the sequence diagram (with the next possible deliveries drawn faintly),
the network graph and state table at the current step, the six safety properties as badges
(a broken one names the step that broke it), the branches of the history, and the path in the
share line. Bad input (a path that does not replay) gives an inline message and leaves the
stepper where it was.

A click costs a few milliseconds (the step, the rows, badges, branches, path); redrawing the
figures costs a few tens (the views rebuild them from the whole trace), so in a kernel
``refresh`` draws them just after the click's reply, and clicks in quick succession once
(``draw``, ``DRAW_DELAY``; ``benchmarks/bench_stepper.py`` measures both).

The path is also the ``path`` trait, synced to the page, so a notebook saved with its widget
state keeps where the reader was; ``StepperWidget(config, path=...)`` (or setting
``widget.path``) replays it. Keyboard: the ``shortcuts`` element (an anywidget) listens for keys
pressed while the focus is in the panel: ``n`` or ``→`` delivers the next message
(``candidates[0]``), ``u`` or ``←`` undoes, ``r`` redoes.
"""

from __future__ import annotations

import asyncio
import html
import math
import time
from typing import Any

import anywidget
import ipywidgets as w
import plotly.graph_objects as go
import traitlets

from ..config import Config
from ..core import PaxosbookError, Timer, UsageError
from ..events import DUPLICATE, SEND
from ..stepper import Action, Stepper, message_text
from ..views import state_html, state_table, style
from ..views.network import network_spec
from ..views.sequence import Pending, add_pending, sequence_spec
from ..views.style import Spec
from .figures import AutosizeOnDisplay, show_spec
from .layout import row
from .plotlyjs import figure_widget

GRAPH_WIDTH = 560  # px
FULL_WIDTH = "calc(100% - 4px)"  # a labelled field's width: the line less its 2 px margins
SEARCH_STATES = 50_000
"""The ``max_states`` of the "search from here" button (the API's ``search`` takes any)."""
DRAW_DELAY = 0.05
"""In a kernel the figures are redrawn just after a click's reply (the click's controls reach
the page first); a click within this many seconds of the last redraw (a held key) waits this
long, so that clicks in quick succession are drawn once."""
_clock = time.monotonic

_KEYS_ESM = """
function render({ model, el }) {
  el.classList.add("paxosbook-keys");
  el.textContent = "keys (click in the panel first): n or \u2192 deliver next \u00b7 "
    + "u or \u2190 undo \u00b7 r redo";
  el.style.cssText = "font-size:11px;color:#757575;padding:2px 6px";
  const keys = {n: "next", ArrowRight: "next", u: "undo", ArrowLeft: "undo", r: "redo"};
  let tries = 0;
  const attach = () => {
    const panel = el.isConnected ? el.closest(".paxosbook-stepper") : null;
    if (!panel) {
      if (tries++ < 100) setTimeout(attach, 100);
      return;
    }
    panel.setAttribute("data-lm-suppress-shortcuts", "true");
    panel.setAttribute("data-p-suppress-shortcuts", "true");
    if (!panel.hasAttribute("tabindex")) panel.tabIndex = 0;
    panel.addEventListener("keydown", (e) => {
      const t = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || !(e.key in keys)) return;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT"
                || t.isContentEditable)) return;
      e.preventDefault();
      e.stopPropagation();
      model.send({ key: keys[e.key] });
    });
  };
  attach();
}
export default { render };
"""


class Keys(anywidget.AnyWidget):
    """The keyboard shortcuts (see the module docstring); sends ``{"key": "next"|"undo"|
    "redo"}`` to Python."""

    _esm = traitlets.Unicode(_KEYS_ESM).tag(sync=True)


class _Row:
    """One pending message: its text and deliver / drop / duplicate buttons."""

    def __init__(self, panel: StepperWidget) -> None:
        self.text = w.HTML(layout=w.Layout(min_width="260px", max_width="100%"))
        self.buttons = {kind: w.Button(description=kind, layout=w.Layout(width="76px"),
                                       tooltip=f"{kind} this message")
                        for kind in ("deliver", "drop", "duplicate")}
        self.box = row([self.text, *self.buttons.values()])
        self.msg_id = -1
        tokens = {"deliver": "d", "drop": "x", "duplicate": "u"}
        for kind, button in self.buttons.items():
            button.on_click(lambda _, t=tokens[kind]: panel.do(f"{t}{self.msg_id}"))

    def show(self, action: Action, deliverable: bool) -> None:
        assert action.msg is not None
        self.msg_id = action.msg_id
        self.text.value = (f"<code>#{action.msg_id}</code> {html.escape(message_text(action.msg))}"
                           f" <i>from {html.escape(action.msg.src)}</i>")
        self.buttons["deliver"].disabled = not deliverable


class _Node:
    """One node: its status, start / crash / restart buttons, timers, and its pending rows."""

    def __init__(self, panel: StepperWidget, name: str) -> None:
        self.name = name
        self.title = w.HTML()
        self.life = {kind: w.Button(description=f"{kind} {name}", layout=w.Layout(width="auto"))
                     for kind in ("start", "crash", "restart")}
        self.timers = {t.value: w.Button(description=f"⏰ {t.value} timeout",
                                         layout=w.Layout(width="auto"),
                                         tooltip=f"fire {name}'s {t.value} timer")
                       for t in Timer}
        for kind, button in self.life.items():
            button.on_click(lambda _, k=kind: panel.do(f"{k[0]}:{name}"))
        for value, button in self.timers.items():
            button.on_click(lambda _, v=value: panel.do(f"t:{name}:{v}"))
        self.head = row([self.title, *self.life.values(), *self.timers.values()],
                        align_items="center")
        self.box = w.VBox([self.head], layout=w.Layout(border="1px solid #e0e0e0",
                                                       padding="2px 6px", margin="2px 0"))

    def show(self, status: str, enabled: set[str], armed: tuple[str, ...],
             rows: list[w.Widget]) -> None:
        self.title.value = (f"<b>{html.escape(self.name)}</b> <i>{status}</i>"
                            f" · {len(rows)} pending")
        for kind, button in self.life.items():
            _visible(button, f"{kind[0]}:{self.name}" in enabled)
        for value, button in self.timers.items():
            _visible(button, value in armed)
        children = (self.head, *rows)
        if self.box.children != children:
            self.box.children = children


def _visible(widget: w.Widget, on: bool) -> None:
    display = None if on else "none"
    if widget.layout.display != display:
        widget.layout.display = display


class StepperWidget(AutosizeOnDisplay, w.VBox):
    """The stepper's panel. ``StepperWidget(config=None, *, path="", **fields)``: a new
    ``Stepper(config, **fields)`` (or ``config`` itself if it is a ``Stepper``, e.g. from
    ``Stepper.from_run``), moved along ``path`` if given. Attributes: ``stepper``;
    ``sequence``, ``graph`` (FigureWidgets), ``table``, ``badges``, ``message``, ``status``,
    ``result`` (HTML); ``undo_button``, ``redo_button``, ``next_button``, ``search_button``;
    ``branches`` (a Select of the history's branches); ``share`` (the path, editable);
    ``shortcuts``; ``path`` (synced trait)."""

    path = traitlets.Unicode("").tag(sync=True)

    def __init__(self, config: Config | Stepper | None = None, *, path: str = "",
                 **fields: Any) -> None:
        if isinstance(config, Stepper):
            if fields:
                raise UsageError("fields", "no config fields with a Stepper", sorted(fields))
            self.stepper = config
        else:
            self.stepper = Stepper(config, **fields)
        if path:
            self.stepper = _replayed(self.stepper, path)
        self._refreshing = False
        self.defer = True
        """Draw the figures after the click's reply in a kernel (``False``: within it)."""
        self._draw_scheduled = False
        self._drawn: tuple[int, int] | None = None
        self._drawn_at = -math.inf  # _clock() of the last redraw
        self._build()
        self.refresh()
        self.observe(self._on_path, names="path")

    # -- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        self.status, self.message, self.result = w.HTML(), w.HTML(), w.HTML()
        self.badges = w.HTML()
        self.undo_button = w.Button(description="↶ undo", layout=w.Layout(width="auto"))
        self.redo_button = w.Button(description="↷ redo", layout=w.Layout(width="auto"))
        self.next_button = w.Button(description="deliver next ▶", layout=w.Layout(width="auto"))
        self.search_button = w.Button(description="search from here", layout=w.Layout(width="auto"),
                                      tooltip="can it go wrong from here? (model checker)")
        self.undo_button.on_click(lambda _: self._move("undo"))
        self.redo_button.on_click(lambda _: self._move("redo"))
        self.next_button.on_click(lambda _: self.deliver_next())
        self.search_button.on_click(lambda _: self.search())
        self.shortcuts = Keys()
        self.shortcuts.on_msg(self._on_key)
        self.share = w.Text(description="path", continuous_update=False,
                            layout=w.Layout(width=FULL_WIDTH),
                            placeholder="paste a path and press Enter to replay it")
        self.share.observe(self._on_share, names="value")
        self.branches = w.Select(description="branches", rows=4,
                                 layout=w.Layout(width=FULL_WIDTH))
        self.branches.observe(self._on_branch, names="value")
        self.nodes = {n: _Node(self, n) for n in self.stepper.cluster.nodes}
        self._rows: list[_Row] = []
        self.sequence, self.graph = figure_widget(), figure_widget()
        self.sequence.add_class("paxosbook-sequence")
        self.graph.add_class("paxosbook-graph")
        self.table = w.HTML(layout=w.Layout(overflow="auto"))
        toolbar = row([self.undo_button, self.redo_button, self.next_button,
                       self.search_button, self.shortcuts], align_items="center")
        controls = w.VBox([n.box for n in self.nodes.values()])
        lower = row([w.Box([self.graph], layout=w.Layout(width=f"{GRAPH_WIDTH + 10}px",
                                                         flex="0 0 auto")),
                     w.Box([self.table], layout=w.Layout(flex="1 1 auto",
                                                         min_width="min-content"))])
        super().__init__([self.status, toolbar, self.message, self.result, self.badges,
                          controls, self.sequence, lower, self.branches, self.share])
        self.add_class("paxosbook-stepper")

    def _autosized_figures(self) -> list[go.FigureWidget]:
        return [self.sequence]

    # -- actions ------------------------------------------------------------------------------
    def do(self, action: int | str | Action) -> None:
        """Step the stepper (an index, label, token or ``Action``) and redraw; a bad action
        gives the inline message."""
        self._guarded(lambda: self.stepper.step(action))

    def deliver_next(self) -> None:
        """Deliver the first message that can be delivered (the ``n`` key)."""
        candidates = self.stepper.candidates
        if not candidates:
            self._say(UsageError("deliver next", "a message in flight to a node that is up",
                                 "none"))
            return
        self.do(candidates[0])

    def _move(self, how: str) -> None:
        self._guarded(getattr(self.stepper, how))

    def search(self, **bounds: Any) -> None:
        """"Can it go wrong from here?": ``Stepper.search`` (``max_states`` default
        ``SEARCH_STATES``), its one line shown in ``result``."""
        bounds.setdefault("max_states", SEARCH_STATES)
        found: list[Any] = []
        self._guarded(lambda: found.append(self.stepper.search(**bounds)))
        if found:
            color = style.VIOLATION_COLOR if found[0].found else style.CHOSEN_COLOR
            self.result.value = (f"<div class='paxosbook-search' style='color:{color}'>"
                                 f"search: {html.escape(str(found[0]))}</div>")

    def _guarded(self, fn: Any) -> None:
        self.result.value = ""
        try:
            fn()
        except PaxosbookError as exc:
            self._say(exc)
            return
        self.message.value = ""
        self.refresh()

    def _say(self, exc: BaseException) -> None:
        self.message.value = (f"<div class='paxosbook-error' style='color:"
                              f"{style.VIOLATION_COLOR}'>⚠ {html.escape(str(exc))} — the "
                              "stepper stays where it was</div>")

    def _on_key(self, _: Any, content: dict[str, Any], buffers: Any) -> None:
        key = content.get("key") if isinstance(content, dict) else None
        if key == "next":
            self.deliver_next()
        elif key in ("undo", "redo"):
            self._move(key)

    def _on_share(self, change: dict[str, Any]) -> None:
        if not self._refreshing and change["new"].strip() != self.stepper.path:
            self.goto_path(change["new"])

    def _on_path(self, change: dict[str, Any]) -> None:
        if not self._refreshing and change["new"] != self.stepper.path:
            self.goto_path(change["new"])

    def _on_branch(self, change: dict[str, Any]) -> None:
        if not self._refreshing and change["new"] is not None:
            self._guarded(lambda: self.stepper.goto(change["new"]))

    def goto_path(self, path: str) -> None:
        """Replay ``path`` (as the share line does); a path that does not replay gives the
        inline message and the stepper stays where it was (the share line too)."""
        try:
            self.stepper = _replayed(self.stepper, path.strip())
        except PaxosbookError as exc:
            self._say(exc)
            self._refreshing = True
            try:
                self.share.value = self.path = self.stepper.path
            finally:
                self._refreshing = False
            return
        self.message.value = ""
        self.refresh()

    # -- drawing ------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Show the stepper's current position: the controls, badges, branches and path at
        once, the figures by ``draw`` (at once outside a kernel; in a kernel just after the
        click's reply, several quick clicks drawn once: see ``DRAW_DELAY``)."""
        self._refreshing = True
        try:
            s = self.stepper
            enabled = {a.token for a in s.actions}
            self._show_controls(enabled)
            self.undo_button.disabled = s.position.parent is None
            self.redo_button.disabled = s.position.last_child is None
            self.next_button.disabled = not s.candidates
            self.badges.value = badges_html(s)
            self.status.value = (f"<div class='paxosbook-status'><b>step {s.steps}</b> · "
                                 f"{len(s.world.pending)} message(s) in flight · "
                                 f"{len(s.history.positions)} position(s) in the history</div>")
            self._show_branches()
            self.share.value = self.path = s.path
        finally:
            self._refreshing = False
        self._drawn = None
        self._schedule_draw()

    def _schedule_draw(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None or not self.defer:
            self.draw()
        elif not self._draw_scheduled:
            self._draw_scheduled = True
            recent = _clock() - self._drawn_at < DRAW_DELAY
            loop.call_later(DRAW_DELAY if recent else 0.0, self.draw)

    def draw(self) -> None:
        """Bring the figures (sequence diagram, network graph, state table) up to the
        stepper's current position, if they are not already."""
        self._draw_scheduled = False
        here = self.stepper.history.current, id(self.stepper)
        if self._drawn == here:
            return
        self._drawn = here
        self._show_figures()
        self._drawn_at = _clock()

    def _show_controls(self, enabled: set[str]) -> None:
        s = self.stepper
        pending = s.pending()
        need = sum(len(v) for v in pending.values())
        while len(self._rows) < need:
            self._rows.append(_Row(self))
        rows = iter(self._rows)
        timers, statuses = s.timers(), s.nodes()
        for name, node in self.nodes.items():
            mine = []
            for action in pending[name]:
                row = next(rows)
                row.show(action, action.token in enabled)
                mine.append(row.box)
            node.show(statuses[name], enabled, timers[name], mine)

    def _show_figures(self) -> None:
        s = self.stepper
        run = s.run
        trace = run.trace
        t = float(trace["time"].iloc[-1]) if len(trace) else 0.0
        spec = sequence_spec(run, cluster=s.cluster)
        add_candidates(spec, s)
        show_spec(self.sequence, spec)
        state = state_table(trace, t, cluster=s.cluster)
        graph = network_spec(trace, t, cluster=s.cluster, state=state)
        graph["layout"].update(width=GRAPH_WIDTH, autosize=False)
        show_spec(self.graph, graph)
        self.table.value = state_html(state)

    def _show_branches(self) -> None:
        options = []
        current = None
        for b in self.stepper.branches:
            pos = self.stepper.history.positions[b.id]
            last = pos.action.label if pos.action is not None else "the start"
            broken = f" · broken: {', '.join(pos.broken)}" if pos.broken else ""
            mark = "▶ " if b.current else ""
            options.append((f"{mark}#{b.id}: {b.length} steps, last {last}{broken}", b.id))
            if b.current:
                current = b.id
        self.branches.options = options
        self.branches.value = current


def _replayed(stepper: Stepper, path: str) -> Stepper:
    """The stepper at the end of ``path``: ``stepper`` itself (the path walked from its start,
    its history kept) when the path has the same head, else a new ``Stepper.replay``."""
    fresh = Stepper.replay(stepper.config, path)  # names what does not replay
    head = path.partition(";")[0] + ";" if ";" in path else ""
    if head.strip() != stepper.history.head.strip():
        return fresh
    tokens = path.partition(";")[2] if head else path
    start = stepper.history.current
    stepper.goto(0)
    try:
        stepper._walk(tokens.split())
    except PaxosbookError:  # pragma: no cover - replay above accepted the same tokens
        stepper.goto(start)
        raise
    return stepper


def add_candidates(spec: Spec, stepper: Stepper) -> None:
    """Add to a sequence diagram ``spec`` of ``stepper.run`` the deliveries enabled now, drawn
    faintly from their send to the receiver at the next step's time."""
    sent = {r[5]: r[0] for r in stepper.run.records if r[1] in (SEND, DUPLICATE)}
    arrows = []
    for a in stepper.candidates:
        assert a.msg is not None
        arrows.append(Pending(sent.get(a.msg_id, 0.0), a.msg.src, a.msg.dst, a.label))
    add_pending(spec, arrows, stepper.world.time)


def badges_html(stepper: Stepper) -> str:
    """The six safety properties as green / red badges; each broken one named with the step
    and the action that broke it."""
    spans, notes = [], []
    for name, broken in stepper.verdict().items():
        color = style.VIOLATION_COLOR if broken else style.CHOSEN_COLOR
        mark = "✗" if broken else "✓"
        tip = html.escape(str(broken), quote=True) if broken else "holds"
        spans.append(f"<span class='paxosbook-badge paxosbook-badge-"
                     f"{'broken' if broken else 'holds'}' data-property='{name}' title='{tip}' "
                     f"style='background:{color};color:white;border-radius:8px;"
                     f"padding:1px 8px;margin-right:4px'>{mark} {html.escape(name)}</span>")
        if broken:
            notes.append(f"<div style='color:{color}'>{html.escape(str(broken))}</div>")
    return f"<div class='paxosbook-badges'>{''.join(spans)}{''.join(notes)}</div>"


__all__ = ["Keys", "StepperWidget", "add_candidates", "badges_html"]
