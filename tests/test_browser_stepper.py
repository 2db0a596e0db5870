"""A real browser runs 06_you_are_the_network.ipynb in JupyterLab and plays the network.

In the first panel (puzzle 1, at the computed answer after *Run All*) it clicks a deliver
button and sees the sequence diagram gain a delivered message, presses ``n`` (deliver next,
the anywidget's key listener) for one more, and clicks undo for one fewer. In the third panel
(the planted bug, at two values chosen) it undoes the step that broke agreement and sees the
badge turn green, then redoes it and sees it turn red again. JupyterLab and Chromium are the
session's (``tests/browser.py``: one server, one page; in CI a missing browser or Playwright
fails the test, elsewhere it is skipped). A screenshot is saved under ``tests/artifacts/``
(git-ignored).
"""

from __future__ import annotations

import json
import re
from typing import Any

from browser import ARTIFACTS, Session

NOTEBOOK = "06_you_are_the_network.ipynb"
CHANGE_TIMEOUT = 60_000  # ms: a click -> the panel redrawn

# JavaScript run in the page: the title of panel ``i``'s sequence diagram ("N messages: k
# delivered, ...") or null while it is not drawn.
_TITLE = """(i) => {
  const panel = document.querySelectorAll('.paxosbook-stepper')[i];
  const gd = panel && panel.querySelector('.js-plotly-plot.paxosbook-sequence');
  if (!gd || !gd.layout || !gd.layout.title) return null;
  return gd.layout.title.text || null;
}"""


def delivered(page: Any, i: int) -> int | None:
    title = page.evaluate(_TITLE, i)
    found = re.search(r"(\d+) delivered", title or "")
    return int(found.group(1)) if found else None


def wait_delivered(page: Any, i: int, n: int) -> None:
    page.wait_for_function(
        f"(i) => {{ const t = ({_TITLE})(i); return t !== null && "
        f"new RegExp('(^|: )' + {json.dumps(str(n))} + ' delivered').test(t); }}",
        arg=i, timeout=CHANGE_TIMEOUT)


def test_the_reader_plays_the_network(browser: Session) -> None:
    shot = ARTIFACTS / "browser_06_stepper.png"
    try:
        browser.run(NOTEBOOK)
        _play(browser.page)
    finally:
        browser.page.screenshot(path=str(shot), full_page=False)
    assert shot.stat().st_size > 0


def _play(page: Any) -> None:
    from playwright.sync_api import expect

    panels = page.locator(".paxosbook-stepper")
    expect(panels).to_have_count(5, timeout=CHANGE_TIMEOUT)
    first = panels.nth(0)
    first.scroll_into_view_if_needed()
    page.wait_for_function(f"(i) => ({_TITLE})(i) !== null", arg=0, timeout=CHANGE_TIMEOUT)
    n = delivered(page, 0)
    assert n == 6  # the computed answer of puzzle 1
    share = first.locator(".widget-text input")
    path = share.input_value()

    first.locator("button:not([disabled])", has_text=re.compile(r"^deliver$")).first.click()
    wait_delivered(page, 0, n + 1)
    expect(share).not_to_have_value(path, timeout=CHANGE_TIMEOUT)

    first.locator(".paxosbook-status").click()  # the focus in the panel, not in a field
    page.keyboard.press("n")
    wait_delivered(page, 0, n + 2)

    first.locator("button", has_text="undo").click()
    wait_delivered(page, 0, n + 1)

    third = panels.nth(2)
    third.scroll_into_view_if_needed()
    red = third.locator(".paxosbook-badge-broken[data-property='agreement']")
    green = third.locator(".paxosbook-badge-holds[data-property='agreement']")
    expect(red).to_have_count(1, timeout=CHANGE_TIMEOUT)  # the answer chose two values
    third.locator("button", has_text="undo").click()
    expect(green).to_have_count(1, timeout=CHANGE_TIMEOUT)
    third.locator("button", has_text="redo").click()
    expect(red).to_have_count(1, timeout=CHANGE_TIMEOUT)
    expect(third.locator(".paxosbook-badges")).to_contain_text("broken at step",
                                                               timeout=CHANGE_TIMEOUT)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
