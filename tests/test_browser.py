"""A real browser opens 02_failures.ipynb in JupyterLab, runs it, and moves the drop slider.

JupyterLab and Chromium are the session's (``tests/browser.py``: one server, one page, a
temporary copy of the notebooks; the layout test then measures this same run of 02 instead of
running it again). After Run All the test waits until the kernel is idle (the server's
``/api/kernels`` and the cells' prompts), not for a fixed time, then checks that every explorer
on the page drew its own figures: its sequence diagram has lines and its network graph has
nodes (once, one explorer drew empty axes while its summary updated; a selector over the whole
page would have been satisfied by another explorer's figure). Then the drop slider of the
first explorer is moved by keyboard and its summary and sequence diagram must change.
``PAXOSBOOK_BROWSER_THROTTLE=4`` runs the same test on a CPU four times slower (Chromium's CPU
throttling), every timeout scaled by the same factor. A screenshot is saved under
``tests/artifacts/`` (git-ignored) either way the test ends.
"""

from __future__ import annotations

import json
from typing import Any

from browser import ARTIFACTS, Session

from paxosbook.testing.lab import Lab, stderr_outputs

NOTEBOOK = "02_failures.ipynb"
DRAWN_TIMEOUT = 120.0  # seconds: after the kernel is idle, an explorer's figures are drawn
CHANGE_TIMEOUT = 120.0  # seconds: slider moved -> new run drawn


def test_explorer_reacts_to_the_drop_slider(browser: Session) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    rate, page = browser.rate, browser.page
    shot = ARTIFACTS / ("browser_02_failures.png" if rate == 1
                        else f"browser_02_failures_throttle{rate:g}.png")
    try:
        seconds = browser.run(NOTEBOOK)
        print(f"{NOTEBOOK}: Run All took {seconds or 0:.0f} s")  # shown with pytest -s
        _every_explorer_drew_its_figures(page, browser.lab, DRAWN_TIMEOUT * rate)
        _move_the_drop_slider(page, CHANGE_TIMEOUT * rate)
        assert not stderr_outputs(page), stderr_outputs(page)[0]
    finally:
        page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 0


# JavaScript run on one explorer element: have its own figures drawn something? A figure in a
# closed "more" section (a folded explorer) is not even made until the reader opens it: it is
# reported as 'folded', and only there (an explorer that shows its graph must have drawn it).
_DRAWN = """(explorer) => {
  const gd = (cls) => explorer.querySelector('.js-plotly-plot.' + cls);
  const seq = gd('paxosbook-sequence'), graph = gd('paxosbook-graph');
  const closed = explorer.querySelector('.jupyter-widget-Collapse-contents.lm-mod-hidden');
  const lines = (g) => g && g._fullLayout && g.data && g.data.length > 0
      && Array.from(g.querySelectorAll('.scatterlayer path.js-line'))
              .some(p => (p.getAttribute('d') || '').length > 2);
  const points = (g) => g && g._fullLayout
      && g.querySelectorAll('.scatterlayer .points path.point').length > 0;
  const folded = closed && (!graph || closed.contains(graph));  // drawn when opened
  return {sequence: !!lines(seq), graph: folded ? 'folded' : !!points(graph)};
}"""


def _every_explorer_drew_its_figures(page: Any, lab: Lab, timeout: float) -> None:
    explorers = page.locator(".paxosbook-explorer")
    count = explorers.count()
    assert count >= 1, "no explorer on the page"
    missing = []
    for i in range(count):
        element = explorers.nth(i).element_handle()
        try:
            page.wait_for_function(f"(e) => {{ const d = ({_DRAWN})(e); "
                                   "return d.sequence && !!d.graph; }", arg=element,
                                   timeout=timeout * 1000)
        except Exception:  # Playwright's TimeoutError: say which explorer and what it lacks
            what = element.evaluate(_DRAWN)
            code = explorers.nth(i).locator(".paxosbook-reproduce").inner_text()
            missing.append(f"explorer {i + 1} of {count} ({code}): drawn {what}")
    if missing and lab.dropped_websocket():
        missing.append("(the server log has a WebSocket ping timeout: it closed the page's "
                       "websocket and what it was sending was lost)")
    assert not missing, "\n".join(missing)


# JavaScript run on one explorer element: what its sequence diagram shows right now.
_SEQUENCE_SIGNATURE = """(explorer) => {
  const gd = explorer.querySelector('.js-plotly-plot.paxosbook-sequence');
  if (!gd || !gd.data) return null;
  const title = gd.layout && gd.layout.title ? (gd.layout.title.text || '') : '';
  return title + ' | ' + gd.data.map(t => (t.name || '') + ':' + (t.x ? t.x.length : 0)).join(',');
}"""


def _move_the_drop_slider(page: Any, timeout: float) -> None:
    from playwright.sync_api import expect

    explorer = page.locator(".paxosbook-explorer").first
    element = explorer.element_handle()
    summary = explorer.locator(".paxosbook-summary")
    # the second cell changed drop and seed from code: that run is the one shown
    expect(explorer.locator(".paxosbook-reproduce")).to_contain_text("seed=3",
                                                                     timeout=timeout * 1000)
    explorer.scroll_into_view_if_needed()
    summary_before = summary.inner_text()
    sequence_before = element.evaluate(_SEQUENCE_SIGNATURE)
    assert sequence_before is not None

    slider = explorer.locator(".widget-slider", has=page.locator(".widget-label",
                                                                 has_text="drop")).first
    readout_before = slider.locator(".widget-readout").inner_text()
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    for _ in range(20):  # 0.10 -> 0.30 in steps of 0.01
        handle.press("ArrowRight")
    expect(slider.locator(".widget-readout")).not_to_have_text(readout_before,
                                                               timeout=timeout * 1000)
    expect(summary).not_to_have_text(summary_before, timeout=timeout * 1000)
    page.wait_for_function(f"(e) => ({_SEQUENCE_SIGNATURE})(e) !== {json.dumps(sequence_before)}",
                           arg=element, timeout=timeout * 1000)
    assert "dropped" in summary.inner_text()
    explorer.scroll_into_view_if_needed()
