"""Every notebook, opened in JupyterLab in Chromium as a reader would, stays readable.

Each notebook is run once (Run All, then wait until its kernel is idle) in a 1400x900 window
with the file browser open, measured, then measured again after resizing the same page to
1024x768 (no second run); the session's one JupyterLab and one page serve every notebook
(``tests/browser.py``). In 02 the first explorer's drop slider is first moved 30 steps by
keyboard, as a reader would (to a long tail: its value chosen again by later ballots), and the
measurement must see that explorer's figures follow the window: after such a move they used
to stay 968 px wide at 1024x768. In every plotly
figure no two labels overlap (annotations, tick labels, axis and figure titles, the legend,
buttons), and no output or widget box is clipped (its content wider than the box:
``scrollWidth > clientWidth``). JupyterLab's default windowing keeps every cell in the page
(off-screen ones are not painted, but measuring them lays them out). A screenshot of each
whole notebook at each size is saved under ``tests/artifacts/``.

What this catches: a label drawn over another (the "chosen" label on the figure title, a
partition label on a role label, subplot titles running into each other), panels placed side
by side at a fixed width that no longer fit, a table cut at the edge of its output, a figure
that drew empty axes (no title, nothing drawn). A pandas table (``table.dataframe``) wider than
the page is allowed to scroll inside its output, as JupyterLab lets it: it is printed (with
``pytest -s``), not failed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser import ARTIFACTS, ROOT, WINDOW, Session

from paxosbook.testing.lab import PANEL, wait_for_figures, wait_until_idle

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
SLIDERS = "02_failures.ipynb"  # its first explorer's drop slider is moved before measuring
SIZES = (WINDOW, (1024, 768))
SETTLE_TIMEOUT = 120.0  # seconds (times the throttle) for the figures to draw and stop resizing
TOLERANCE = 2.0  # px: boxes that touch by less than this do not overlap
MAX_SHOT_HEIGHT = 14_000  # px

_MEASURE = Path(__file__).with_name("browser_layout.js").read_text()


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_readable_at_two_window_sizes(browser: Session, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.page
    seconds = browser.run(name)
    print(f"{name}: " + ("measured as test_browser left it" if seconds is None
                         else f"Run All took {seconds:.0f} s"))  # shown with pytest -s
    if name == SLIDERS:
        _move_the_drop_slider(browser)
    problems = [e[:300] for e in browser.errors()]
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        wait_for_figures(page, SETTLE_TIMEOUT * browser.rate)
        found = page.evaluate(_MEASURE, TOLERANCE)
        problems += [f"at {width}x{height}: {p}" for p in _explain(found)]
        if name == SLIDERS:
            problems += [f"at {width}x{height}: {p}" for p in _too_wide(page)]
        for note in _notes(found):
            print(f"{name} at {width}x{height}: {note}")
        _screenshot(page, ARTIFACTS / f"layout_{Path(name).stem}_{width}x{height}.png",
                    width, height)
    assert not problems, f"{name}:\n" + "\n".join(problems)


def _move_the_drop_slider(browser: Session) -> None:
    """30 presses of ArrowRight on the first explorer's drop slider (to 0.40, the long tail),
    then wait until the kernel is idle."""
    explorer = browser.page.locator(".paxosbook-explorer").first
    slider = explorer.locator(".widget-slider", has=browser.page.locator(
        ".widget-label", has_text="drop")).first
    handle = slider.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(30):  # seed 3: 0.10 -> 0.40
        handle.press("ArrowRight")
    wait_until_idle(browser.page, browser.lab, SETTLE_TIMEOUT * browser.rate, browser.rate)


_WIDTHS = """(panel) => [...document.querySelectorAll(panel + ' .paxosbook-explorer')].slice(0, 1)
  .flatMap(e => [...e.querySelectorAll('.js-plotly-plot')])
  .map(gd => [gd.getBoundingClientRect().width, gd.parentElement.clientWidth,
              !!gd.closest('.paxosbook-graph')])"""


def _too_wide(page: Any) -> list[str]:
    """The first explorer's autosized figures drawn wider than their box (the network graph
    has a fixed width: left out)."""
    return [f"first explorer's figure {i} is {drawn:.0f} px wide in a {box} px box"
            for i, (drawn, box, graph) in enumerate(page.evaluate(_WIDTHS, PANEL))
            if not graph and drawn > box + 1]


def _explain(found: dict[str, list[dict[str, Any]]]) -> list[str]:
    out = [f"figure {o['figure']} ({o['title']!r}) in cell {o['cell']}: {o['a']['kind']} "
           f"{o['a']['text']!r} overlaps {o['b']['kind']} {o['b']['text']!r} by "
           f"{o['dx']:.0f}x{o['dy']:.0f} px" for o in found["overlaps"]]
    out += [f"cell {c['cell']} ({c['source']!r}): {c['what']} {c['box']!r} is clipped: "
            f"content {c['scroll']} px wide in a {c['client']} px box ({c['inside']} sticks out)"
            for c in found["clipped"] if not c["table"]]
    out += [f"cell {e['cell']} ({e['source']!r}): figure {e['figure']} drew empty axes"
            for e in found["empty"]]
    return out


def _notes(found: dict[str, list[dict[str, Any]]]) -> list[str]:
    """What is allowed but worth knowing: a data table wider than the page scrolls."""
    return [f"cell {c['cell']} ({c['source']!r}): table {c['scroll']} px wide scrolls in "
            f"{c['client']} px" for c in found["clipped"] if c["table"]]


def _screenshot(page: Any, path: Path, width: int, height: int) -> None:
    """The whole notebook: the window made as tall as the notebook for the picture."""
    tall = page.evaluate("""(panel) => {
      const s = document.querySelector(panel + ' .jp-WindowedPanel-outer')
             || document.querySelector(panel + ' .jp-Notebook');
      if (!s) return 0;
      s.scrollTop = 0;
      return s.scrollHeight - s.clientHeight;
    }""", PANEL)
    page.set_viewport_size({"width": width, "height": min(height + int(tall), MAX_SHOT_HEIGHT)})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size({"width": width, "height": height})


def test_the_measurement_sees_an_overlap_and_a_clipped_box(browser: Session) -> None:
    """The JavaScript above must be able to fail: a page with two labels drawn over each other,
    a table wider than its output box and a figure with nothing drawn is reported (a fixture
    page in the session's page, no JupyterLab: the next browser test opens its notebook
    again)."""
    browser.shown = None
    browser.page.set_content(_PLANTED)
    found = browser.page.evaluate(_MEASURE, TOLERANCE)
    texts = {(o["a"]["text"], o["b"]["text"]) for o in found["overlaps"]}
    assert ("chosen add", "a title") in texts or ("a title", "chosen add") in texts
    assert [(c["what"], c["table"]) for c in found["clipped"]] == [("output", False)]
    assert len(found["empty"]) == 1
    assert not any(re.search("apart", o["a"]["text"] + o["b"]["text"])
                   for o in found["overlaps"])


_PLANTED = """
<div class="jp-CodeCell"><div class="jp-InputArea-editor">planted()</div>
 <div class="jp-OutputArea-output" style="width:300px;overflow:auto">
  <table><tr><td style="white-space:nowrap">a very long line that cannot fit in three hundred
  pixels of width at all, whatever the font</td></tr></table></div>
 <div class="jp-OutputArea-output"><div class="js-plotly-plot"><svg width="400" height="200">
  <g class="infolayer"><g class="g-gtitle"><text x="10" y="20">a title</text></g></g>
  <g class="annotation"><text x="12" y="22">chosen add</text></g>
  <g class="annotation"><text x="300" y="150">far apart</text></g>
 </svg></div></div>
</div>"""
