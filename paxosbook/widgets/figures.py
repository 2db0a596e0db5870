"""Show a new figure in an existing ``FigureWidget``, in place, sending only what changed.

The views build plain plotly JSON (``*_spec`` functions) with a fixed set of traces per figure.
``show_spec`` first turns the spec into plain Python (numpy arrays into lists, numpy scalars
into floats, NaN into None): a numpy array held in a FigureWidget goes to the browser as a
typed array, plotly.js echoes its defaults back as a ``{"dtype", "bdata"}`` dict, and plotly's
``_remove_overlapping_props`` then tests the array's truth value and raises ``ValueError`` in
the kernel (and the figure is re-sent and redrawn although nothing changed). Then, when the
widget already holds traces of the same number and types (and the same template), each trace
property and each layout property is compared with what the widget holds and only those that
differ are stored, without plotly.py's per-property validation (most of a slider change's
cost), and sent in one ``Plotly.update`` message, none at all when nothing differs; otherwise
(first display, a different number of proposers, a switch to WebGL) the traces are replaced,
validated, inside one ``batch_update()``. Properties the new figure does not set are
cleared, so nothing of the old figure lingers. Finally the widget's synced state is made the
figure it now shows (``keep_state``), so that a view created later draws it rather than empty axes.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.basedatatypes import Undefined

from ..views.style import Spec

_SKIP = frozenset(("type", "uid"))


def plain(value: Any) -> Any:
    """``value`` with every numpy array, numpy scalar and tuple made a plain list or number,
    and every NaN made None (a gap, as plotly draws NaN): what a FigureWidget should hold."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


_LOCKS_LOCK = threading.Lock()


def _lock(widget: go.FigureWidget) -> threading.RLock:
    """``widget``'s own lock: a panel may redraw it from a thread of its own (07's cluster
    panel) while the kernel's loop keeps its state (``flush_state``); neither may see the
    figure half changed."""
    with _LOCKS_LOCK:
        lock = widget.__dict__.get("_pb_lock")
        if lock is None:
            lock = widget.__dict__["_pb_lock"] = threading.RLock()
        return lock


def show_spec(widget: go.FigureWidget, spec: Spec) -> None:
    """Make ``widget`` show the figure ``spec`` (``{"data": [...], "layout": {...}}``),
    sending only the properties that differ from what it shows (see the module doc)."""
    data: list[dict[str, Any]] = plain(spec["data"])
    layout: dict[str, Any] = plain(spec["layout"])
    with _lock(widget):
        _show(widget, data, layout)


def _show(widget: go.FigureWidget, data: list[dict[str, Any]], layout: dict[str, Any]) -> None:
    template = layout.get("template")
    same = template == getattr(widget, "_shown_template", None) and len(widget.data) == len(
        data) and all(old.type == new.get("type", "scatter")
                      for old, new in zip(widget.data, data, strict=True))
    if same:
        _update_in_place(widget, data, layout)
        return
    widget._shown_template = template
    with widget.batch_update():
        widget.data = ()
        widget.add_traces(data)
        _assign_changed(widget.layout, layout)
    keep_state(widget, now=True)  # a first display: its view may be created any moment


def _update_in_place(widget: go.FigureWidget, data: list[dict[str, Any]],
                     layout: dict[str, Any]) -> None:
    """Give ``widget``'s traces (same number and types) and layout exactly ``data`` and
    ``layout`` without plotly.py's per-property validation: the specs are plotly JSON built
    by our views (their first display, and any change of template, went through the
    validating path), and validation was more than half of a slider change. The changed
    top-level properties are stored as they are and sent in one ``Plotly.update`` message, in
    the form plotly's own ``batch_update`` sends (one value per updated trace, ``Undefined``
    where a trace keeps its value); nothing is sent when nothing differs."""
    changes = [_take_changed(trace, new) for trace, new in zip(widget.data, data, strict=True)]
    relayout = _keep_autosize(_take_changed(widget.layout, layout), layout)
    indexes = [i for i, change in enumerate(changes) if change]
    if not indexes and not relayout:
        return
    keys = sorted({key for i in indexes for key in changes[i]})
    restyle = {key: [changes[i].get(key, Undefined) for i in indexes] for key in keys}
    widget._send_update_msg(restyle, relayout, trace_indexes=indexes)
    keep_state(widget, data=bool(indexes))


def _take_changed(obj: Any, props: dict[str, Any]) -> dict[str, Any]:
    """Store in plotly object ``obj`` exactly the top-level ``props`` (plus its own type, uid
    and template), as plotly stores a raw value, and return the keys that changed, with their
    new values (None for a cleared one)."""
    held: dict[str, Any] = obj._props
    changed = dict.fromkeys(held.keys() - props.keys() - _SKIP - {"template"})
    changed.update((k, v) for k, v in props.items()
                   if k not in _SKIP and k != "template" and _differs(held.get(k), v))
    for key, value in changed.items():
        if value is None:
            held.pop(key, None)
        else:
            held[key] = value
        obj._compound_props.pop(key, None)  # plotly rebuilds these views of it on access
        obj._compound_array_props.pop(key, None)
    return changed


def _keep_autosize(relayout: dict[str, Any], layout: dict[str, Any]) -> dict[str, Any]:
    """``relayout`` with the figure's ``autosize`` and ``width`` stated whenever it changes
    the height (or width). plotly.js takes a new height alone as "fixed size now": it turns
    autosize off and pins the width to the one drawn, so an explorer's diagram whose height
    changed with the run (a second value chosen, more partition rows) stayed 968 px wide when
    the window shrank. Stated in the same edit, they keep an autosized figure autosized."""
    if relayout.keys() & {"height", "width"}:
        relayout.setdefault("autosize", layout.get("autosize"))
        relayout.setdefault("width", layout.get("width"))
    return relayout


KEEP_AFTER = 0.3
"""Seconds after a change at which a figure's synced state is brought up to date, in a kernel."""


def keep_state(widget: go.FigureWidget, *, data: bool = True, now: bool = False) -> None:
    """Store the figure ``widget`` shows in its synced state (``_widget_data`` and
    ``_widget_layout``), as plotly does only when a FigureWidget is displayed by itself.
    In a kernel (a running event loop) this is done ``KEEP_AFTER`` seconds later, once for
    all the changes made meanwhile: it is a quarter of a slider change's cost (the whole
    figure serialised and sent), which the repaint of the change need not wait for, and a
    reader holding an arrow key down makes several changes a second. Without a loop (a
    script, a test), with ``now`` (a figure's first display: a view created before the
    state was kept drew empty axes), or for a widget marked ``_keep_at_once`` (one redrawn
    from a thread of its own: 07's cluster panel, whose diagram then sometimes never drew in
    the browser test), it is done at once.

    plotly sends changes as one-off messages that the browser's model applies to its copy;
    its synced state stays what it was when the widget was created or last displayed (empty,
    for a FigureWidget inside a panel). A view drawn from that state (a model restored after
    a websocket reconnect, or one whose messages arrived before plotly's code had loaded)
    showed empty axes next to an up-to-date summary line. With the state kept current, every
    view, whenever it is created, draws the current figure; views already drawn ignore it.
    ``data=False``: only the layout changed. (An unchanged state sends nothing: traitlets
    compares the values.)
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        now = True
    if now or getattr(widget, "_keep_at_once", False):
        pending = getattr(widget, "_keep_pending", None)
        widget._keep_pending = None  # a timer still to come finds nothing to do
        _keep_now(widget, data or bool(pending))
        return
    pending = getattr(widget, "_keep_pending", None)
    widget._keep_pending = data or bool(pending)
    if pending is None:
        loop.call_later(KEEP_AFTER, flush_state, widget)


def flush_state(widget: go.FigureWidget) -> None:
    """Keep now the state ``keep_state`` left for later (what the loop does after
    ``KEEP_AFTER`` s)."""
    with _lock(widget):
        data = getattr(widget, "_keep_pending", None)
        if data is not None:
            widget._keep_pending = None
            _keep_now(widget, data)


def _keep_now(widget: go.FigureWidget, data: bool) -> None:
    widget._widget_layout = _copy(widget.layout._props)
    if data:
        widget._widget_data = _copy(widget._data)


def _copy(value: Any) -> Any:
    """A deep copy of a figure's plain JSON state, through the C JSON codec (several times
    faster than ``copy.deepcopy``); ``deepcopy`` for anything JSON would not give back
    exactly (a tuple, a value JSON cannot encode)."""
    try:
        text = json.dumps(value, allow_nan=True)
    except (TypeError, ValueError):
        return copy.deepcopy(value)
    out = json.loads(text)
    return out if out == value else copy.deepcopy(value)


def _assign_changed(obj: Any, props: dict[str, Any]) -> None:
    """Give plotly object ``obj`` exactly the top-level ``props`` (plus its own type, uid and
    template), touching only the keys whose value differs from what it holds."""
    held: dict[str, Any] = obj._props or {}  # the validated values, as plain JSON
    for key in held.keys() - props.keys() - _SKIP - {"template"}:
        obj[key] = None
    changed = {k: v for k, v in props.items() if k not in _SKIP and held.get(k) != v}
    if changed:
        obj.update(changed, overwrite=True)


def _differs(held: Any, new: Any) -> bool:
    """Whether ``new`` differs from the validated ``held`` (plotly stores an empty list of
    shapes, annotations or menus as nothing)."""
    return held != new and not (held is None and new == [])


def update_figure(widget: go.FigureWidget, fig: go.Figure) -> None:
    """Make ``widget`` show ``fig`` (see ``show_spec``)."""
    show_spec(widget, fig.to_plotly_json())


AUTOSIZE_AFTER = (0.5, 1.5, 4.0)
"""Seconds after a widget is displayed at which its autosized figures re-measure their width."""


def autosize_after_display(figures: Sequence[go.FigureWidget]) -> None:
    """Have autosized ``figures`` take their container's width once the page shows them.

    With anywidget, plotly's FigureWidget draws as soon as its view exists, often before the
    view is attached to the page, and then stays at plotly.js's fallback width of 700 px
    (plotly.py issue 5208); the browser does not report it back. Asking it to autosize again
    a moment later, when the view is on the page, measures the real container; when the size
    was right already, the request changes nothing. Needs the kernel's event loop (there is
    none outside a kernel, and then nothing is drawn anyway).
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    for delay in AUTOSIZE_AFTER:
        loop.call_later(delay, _autosize, tuple(figures))


def _autosize(figures: tuple[go.FigureWidget, ...]) -> None:
    for fig in figures:
        if fig.layout.width is None:
            fig._send_relayout_msg({"autosize": True})


class AutosizeOnDisplay:
    """Mixin for a widget holding FigureWidgets: listed by ``_autosized_figures()``, they are
    re-measured after the widget is displayed (see ``autosize_after_display``)."""

    def _autosized_figures(self) -> Sequence[go.FigureWidget]:
        return ()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        bundle = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        autosize_after_display(self._autosized_figures())
        return bundle
