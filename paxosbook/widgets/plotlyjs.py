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

The carrier also makes every figure follow its box (``_FOLLOW``). plotly's FigureView re-fits
an autosized figure to its box on JupyterLab's Lumino resize messages and on the window's
``resize`` event, but it installs that listener on a Lumino message that an anywidget view
never receives: a figure drawn 968 px wide stayed 968 px in a 592 px box when the window
shrank. Patched in the carrier (when the bundle exports ``FigureView``), each view watches its
element with a ``ResizeObserver`` (a side panel opened, a box that wraps) and the window's
``resize`` event (which also reaches figures JupyterLab does not lay out while they are off
screen, where an observer hears nothing) and asks plotly to re-fit (``autosizeFigure``:
figures of a fixed width stay as they are), at most once per animation frame; its element may
shrink below the figure drawn (``min-width: 0``).

The carrier also stops the figures' echo of plotly.js's defaults (``_ACKNOWLEDGE``). After
every update plotly's view diffed the whole drawn figure against its model (deep, every point
of every trace) and sent what plotly.js had filled in back to the kernel, where plotly.py
merged it into its defaults and pruned its properties, and told the page which ones: per
slider change and figure about 20 KB each way, tens of milliseconds of the page's main thread
(before the diagram's repaint) and about 100 ms of kernel time. The book's panels never read
those defaults; the view now acknowledges each edit with an empty delta (so plotly.py's
"edit in progress" flags and ``on_edits_completed`` still work).
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
_FIGURE_VIEW = re.compile(r"([\w$]+)\s+as\s+FigureView\b")
_FOLLOW = """((View) => {
  const proto = View && View.prototype;
  if (!proto || typeof ResizeObserver === 'undefined'
      || ![proto.perform_render, proto.autosizeFigure, proto.remove].every(
          (f) => typeof f === 'function')) return;
  const render = proto.perform_render, remove = proto.remove;
  proto.perform_render = function (...args) {
    const out = render.apply(this, args);
    const el = this.el;
    let width = null, queued = false;
    const refit = () => {
      queued = false;
      const now = el.clientWidth;
      if (now > 0 && now !== width) { width = now; this.autosizeFigure(); }
    };
    const later = this.__paxosbookLater = () => {
      if (!queued) { queued = true; requestAnimationFrame(refit); }
    };
    el.style.minWidth = '0';
    this.__paxosbookObserver = new ResizeObserver(later);
    this.__paxosbookObserver.observe(el);
    window.addEventListener('resize', later);
    return out;
  };
  proto.remove = function (...args) {
    if (this.__paxosbookObserver) this.__paxosbookObserver.disconnect();
    window.removeEventListener('resize', this.__paxosbookLater);
    return remove.apply(this, args);
  };
})"""
_ACKNOWLEDGE = """((View) => {
  const proto = View && View.prototype;
  if (!proto || typeof proto._sendTraceDeltas !== 'function'
      || typeof proto._sendLayoutDelta !== 'function') return;
  proto._sendTraceDeltas = function (id) {
    this.model.set('_js2py_traceDeltas', {trace_deltas: [], trace_edit_id: id});
    this.touch();
  };
  proto._sendLayoutDelta = function (id) {
    this.model.set('_js2py_layoutDelta', {layout_delta: {}, layout_edit_id: id});
    this.touch();
  };
})"""
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
    view = _FIGURE_VIEW.search(found.group(0))
    follow = f"{_FOLLOW}({view.group(1)});\n{_ACKNOWLEDGE}({view.group(1)});\n" if view else ""
    carrier = f"{bundle}\n{_SHARED}{follow}__paxosbookPlotly.resolve({found.group(1)});\n"
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
