"""Show a new figure in an existing ``FigureWidget``, in place, in one ``batch_update``.

The views build plain plotly JSON (``*_spec`` functions) with a fixed set of traces per figure.
When the widget already holds traces of the same number and types, every trace and the layout
are overwritten property by property inside ``FigureWidget.batch_update()``, which sends the
browser one ``Plotly.update`` message; otherwise (first display, a different number of
proposers, a switch to WebGL) the traces are replaced inside the same batch. Properties the
new figure does not set are cleared, so nothing of the old figure lingers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

from ..views.style import Spec

_SKIP = frozenset(("type", "uid"))


def show_spec(widget: go.FigureWidget, spec: Spec) -> None:
    """Make ``widget`` show the figure ``spec`` (``{"data": [...], "layout": {...}}``)."""
    data: list[dict[str, Any]] = spec["data"]
    layout: dict[str, Any] = spec["layout"]
    same = len(widget.data) == len(data) and all(
        old.type == new.get("type", "scatter") for old, new in zip(widget.data, data,
                                                                   strict=True))
    with widget.batch_update():
        if same:
            for old, new in zip(widget.data, data, strict=True):
                _overwrite(old, {k: v for k, v in new.items() if k not in _SKIP})
        else:
            widget.data = ()
            widget.add_traces(data)
        _overwrite(widget.layout, layout)


def _overwrite(obj: Any, props: dict[str, Any]) -> None:
    for key in obj.to_plotly_json().keys() - props.keys() - _SKIP - {"template"}:
        obj[key] = None
    obj.update(props, overwrite=True)


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
