"""Widget boxes that wrap instead of overflowing: one place for how panels share a line.

A notebook's width depends on the reader's window and on whether the file browser is open
(1400 px wide with it open leaves ~1000 px; 1024 px leaves ~640). Boxes of fixed-width
controls or panels side by side are clipped when they do not fit; these boxes move what does
not fit to the next line instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as w

WRAP = "paxosbook-wrap"
"""CSS class of every wrapping box (the browser test finds them by it)."""


def row(children: Sequence[w.Widget], **layout: Any) -> w.HBox:
    """Children side by side, wrapping to the next line when the width runs out."""
    box = w.HBox(list(children), layout=w.Layout(flex_flow="row wrap", **layout))
    box.add_class(WRAP)
    return box


def columns(children: Sequence[w.Widget], width: int) -> w.GridBox:
    """A grid of cells ``width`` px wide: as many columns as fit, then the next row."""
    box = w.GridBox(list(children), layout=w.Layout(
        grid_template_columns=f"repeat(auto-fill, {width}px)", width="100%"))
    box.add_class(WRAP)
    return box
