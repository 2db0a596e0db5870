"""Show a new figure in an existing ``FigureWidget``, in place, in one ``batch_update``.

The views build plain plotly JSON (``*_spec`` functions) with a fixed set of traces per figure.
When the widget already holds traces of the same number and types, every trace and the layout
are overwritten property by property inside ``FigureWidget.batch_update()``, which sends the
browser one ``Plotly.update`` message; otherwise (first display, a different number of
proposers, a switch to WebGL) the traces are replaced inside the same batch. Properties the
new figure does not set are cleared, so nothing of the old figure lingers.
"""

from __future__ import annotations

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
