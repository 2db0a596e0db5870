"""One copy of plotly's widget bundle per page: the carrier and the three-line modules."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import plotly.graph_objects as go
import pytest

from paxosbook.widgets import plotlyjs
from paxosbook.widgets.plotlyjs import SharedFigureWidget, figure_widget, shared_modules

FAKE_BUNDLE = "const X = {tag: 42}, Y = 1;\nexport{Y as other,X as default}\n/*\n license\n*/\n"


def test_plotlys_own_bundle_is_shared() -> None:
    """The installed plotly's bundle has the layout this relies on; if a plotly upgrade
    breaks it, widgets fall back to the full bundle, and this test says so."""
    modules = shared_modules(str(go.FigureWidget._esm))
    assert modules is not None
    carrier, module = modules
    assert carrier.startswith(str(go.FigureWidget._esm)) and len(module) < 400


def test_book_widgets_carry_the_small_module_and_one_carrier_the_bundle() -> None:
    a, b = figure_widget(), figure_widget()
    assert isinstance(a, SharedFigureWidget) and isinstance(b, SharedFigureWidget)
    assert len(a.get_state()["_esm"]) < 400
    carrier = plotlyjs._carrier
    assert carrier is not None and len(carrier.get_state()["_esm"]) > 1_000_000
    figure_widget()
    assert plotlyjs._carrier is carrier  # one per kernel


@pytest.mark.parametrize("bundle", ["export{X as default}; const X = 1;",  # code after it
                                    "const X = 1;"])  # no default export
def test_an_unexpected_bundle_is_not_rewritten(bundle: str) -> None:
    assert shared_modules(bundle) is None


def test_a_module_made_before_the_carrier_gets_the_carriers_export(tmp_path: Path) -> None:
    """Run the two modules in node, the small one imported first: it waits for the carrier
    and then exports the very object the bundle exports."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = shared_modules(FAKE_BUNDLE)
    assert modules is not None
    (tmp_path / "carrier.mjs").write_text(modules[0])
    (tmp_path / "small.mjs").write_text(modules[1])
    (tmp_path / "main.mjs").write_text(
        "const small = import('./small.mjs');\n"
        "await new Promise((r) => setTimeout(r, 50));\n"
        "const carrier = await import('./carrier.mjs');\n"
        "const got = (await small).default;\n"
        "if (got !== carrier.default || got.tag !== 42) process.exit(3);\n"
        "console.log('shared', got.tag);\n")
    done = subprocess.run([node, str(tmp_path / "main.mjs")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "shared 42"


VIEW_BUNDLE = """class V {
  constructor(el) { this.el = el; this.fits = 0; this.removed = false; }
  perform_render() { return 'drawn'; }
  autosizeFigure() { this.fits += 1; }
  remove() { this.removed = true; }
}
const F = () => V;
export{V as FigureView,F as default}
"""


def test_every_figure_view_refits_when_its_box_changes_width(tmp_path: Path) -> None:
    """The carrier patches the bundle's FigureView (node, with a ResizeObserver stand-in): a
    rendered view re-fits its figure when its element's width changes (seen by its observer
    or on the window's resize event), not when only its
    height does or the same width is reported again, and stops watching once removed. Without
    the patch a figure drawn for a wide window stayed that wide in a narrower one."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = shared_modules(VIEW_BUNDLE)
    assert modules is not None
    (tmp_path / "carrier.mjs").write_text(modules[0])
    (tmp_path / "main.mjs").write_text(
        "const observers = [];\n"
        "globalThis.ResizeObserver = class { constructor(cb) { this.cb = cb; this.on = true;\n"
        "  observers.push(this); } observe() {} disconnect() { this.on = false; } };\n"
        "globalThis.requestAnimationFrame = (f) => f();\n"
        "const listeners = new Set();\n"
        "globalThis.window = {addEventListener: (n, f) => listeners.add(f),\n"
        "  removeEventListener: (n, f) => listeners.delete(f)};\n"
        "const View = (await import('./carrier.mjs')).default();\n"
        "const el = {clientWidth: 968, style: {}};\n"
        "const view = new View(el);\n"
        "if (view.perform_render() !== 'drawn') process.exit(3);\n"
        "const fire = (w) => { el.clientWidth = w; observers[0].cb([]); };\n"
        "fire(968); fire(968); fire(592); fire(592);\n"
        "el.clientWidth = 700; for (const f of listeners) f();\n"  # the window resized
        "view.remove();\n"
        "console.log(view.fits, el.style.minWidth, observers[0].on, listeners.size,\n"
        "            view.removed);\n")
    done = subprocess.run([node, str(tmp_path / "main.mjs")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3", "0", "false", "0", "true"]


DELTA_BUNDLE = """class V {
  constructor(model) { this.model = model; this.sent = 0; }
  _sendTraceDeltas(id) { this.model.set('_js2py_traceDeltas', 'the whole figure'); }
  _sendLayoutDelta(id) { this.model.set('_js2py_layoutDelta', 'the whole layout'); }
  touch() { this.sent += 1; }
}
const F = () => V;
export{V as FigureView,F as default}
"""


def test_figure_views_acknowledge_edits_with_empty_deltas(tmp_path: Path) -> None:
    """The carrier replaces the view's echo of plotly.js's defaults (a diff of the whole
    figure, sent to the kernel after every update) by an empty delta for the same edit
    (node; a model stand-in records what the view sets)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    modules = shared_modules(DELTA_BUNDLE)
    assert modules is not None
    (tmp_path / "carrier.mjs").write_text(modules[0])
    (tmp_path / "main.mjs").write_text(
        "const View = (await import('./carrier.mjs')).default();\n"
        "const got = {};\n"
        "const view = new View({set: (k, v) => { got[k] = v; }});\n"
        "view._sendTraceDeltas(7); view._sendLayoutDelta(9);\n"
        "console.log(JSON.stringify([got, view.sent]));\n")
    done = subprocess.run([node, str(tmp_path / "main.mjs")], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"_js2py_traceDeltas": {"trace_deltas": [], "trace_edit_id": 7},
         "_js2py_layoutDelta": {"layout_delta": {}, "layout_edit_id": 9}}, 2]


def test_an_empty_delta_completes_the_edit_in_plotly_py() -> None:
    """What the view now sends is what plotly.py's handlers take as "edit done": its
    in-progress flags clear and ``on_edits_completed`` callbacks run."""
    widget = figure_widget()
    widget.add_scatter(x=[1, 2])
    widget._send_update_msg({"x": [[3, 4]]}, {"title": "t"}, trace_indexes=[0])
    done: list[int] = []
    widget.on_edits_completed(lambda: done.append(1))
    assert done == []
    widget._js2py_traceDeltas = {"trace_deltas": [],
                                 "trace_edit_id": widget._last_trace_edit_id}
    widget._js2py_layoutDelta = {"layout_delta": {},
                                 "layout_edit_id": widget._last_layout_edit_id}
    assert done == [1]
    assert not widget._trace_edit_in_process and not widget._layout_edit_in_process
