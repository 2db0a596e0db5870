"""``figure_widget()``: a plotly FigureWidget whose 5 MB of JavaScript the page loads once.

Theory of operation. plotly's FigureWidget is an anywidget: its ``_esm`` trait holds the whole
widget bundle (plotly.js included, about 5 MB), sent with every FigureWidget and turned by
anywidget into a fresh module in the browser, parsed and evaluated again each time. Notebook
02's explorers made 18 of them: about 90 MB through the kernel, the server and the page, and
most of Run All's minute of Chromium time. Here one *carrier* widget per kernel (created once,
never displayed, kept alive so that a reloaded page restores it) carries the bundle, which at
its end hands its default export to a promise on ``globalThis``; every widget the book makes
carries a three-line module that awaits that promise. The browser evaluates the bundle once
per page, whatever the order in which models are created. If the bundle's last line is not the
``export{... as default}`` this relies on (another plotly build), widgets carry the bundle as
plotly ships it.
"""

from __future__ import annotations

import re
import sys

import plotly.graph_objects as go


def _import_figure_widget() -> None:
    """Import plotly's FigureWidget without compiling 38 IRI grammars on the way.

    ``plotly.basewidget`` imports ``nbformat`` (for a version check when rendering), which
    imports ``jsonschema``, which imports ``rfc3987_syntax`` when it is installed (JupyterLab's
    ``jupyter-events`` installs it), and that builds 38 Lark parsers at import: 3-4 s, most of
    the first ``Explorer()``'s cost. Hidden from that one import, ``jsonschema`` simply does not
    register its "iri" / "iri-reference" format checkers, which no kernel of this book uses;
    a later ``import rfc3987_syntax`` works as usual. Done only when neither module is loaded.
    """
    if "plotly.basewidget" in sys.modules or "jsonschema" in sys.modules:
        return
    hidden = "rfc3987_syntax" not in sys.modules
    if hidden:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]  # import -> ImportError
    try:
        import plotly.basewidget  # noqa: F401
    finally:
        if hidden and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


_import_figure_widget()

_SHARED = """const __paxosbookPlotly = (globalThis.__paxosbookPlotlyWidget ??= (() => {
  let resolve; const ready = new Promise((r) => { resolve = r; }); return {ready, resolve};
})());
"""
_DEFAULT_EXPORT = re.compile(r"export\s*\{[^}]*?([\w$]+)\s+as\s+default\b[^}]*\}\s*;?")
_COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.DOTALL)

_carrier: go.FigureWidget | None = None


def _bundle() -> str:
    return str(go.FigureWidget._esm)


def shared_modules(bundle: str) -> tuple[str, str] | None:
    """(the carrier's module, every other widget's module) for plotly's widget ``bundle``, or
    None unless the bundle ends with ``export{... X as default}`` (comments aside)."""
    found = None
    for found in _DEFAULT_EXPORT.finditer(bundle):  # noqa: B007  (the last one)
        continue
    if found is None or _COMMENTS.sub("", bundle[found.end():]).strip():
        return None  # no default export, or code after it: not the layout this relies on
    carrier = f"{bundle}\n{_SHARED}__paxosbookPlotly.resolve({found.group(1)});\n"
    return carrier, f"{_SHARED}export default await __paxosbookPlotly.ready;\n"


_MODULES = shared_modules(_bundle())


class SharedFigureWidget(go.FigureWidget):
    """A FigureWidget whose module awaits the carrier's bundle (see the module doc)."""

    _esm = _MODULES[1] if _MODULES else go.FigureWidget._esm


class _CarrierWidget(go.FigureWidget):
    _esm = _MODULES[0] if _MODULES else go.FigureWidget._esm


def figure_widget() -> go.FigureWidget:
    """A new, empty FigureWidget for the book's panels (a plain ``go.FigureWidget`` when the
    bundle cannot be shared); the first call also creates the kernel's carrier widget."""
    global _carrier
    if _MODULES is None:
        return go.FigureWidget()
    if _carrier is None:
        _carrier = _CarrierWidget()
    return SharedFigureWidget()
