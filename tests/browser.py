"""The pytest side of the browser tests: one JupyterLab and one Chromium page for the session.

The harness itself (server, browser, waiting on the kernel) is ``paxosbook.testing.lab``, which
the benchmarks use too; this adds what only tests need. ``browser_session`` (the session-scoped
``browser`` fixture of ``conftest.py``) starts ONE JupyterLab (a temporary copy of
``notebooks/``, kernels with ``PAXOSBOOK_TEST=1``: fewer seeds) and ONE page for every browser
test, CPU-throttled by ``PAXOSBOOK_BROWSER_THROTTLE`` (4: the page runs as on a CPU four times
slower; default 1). ``Session.run(name)`` opens a notebook and runs it, unless it is the one
open and run already; the kernel of the notebook run before is shut down first. In CI (``CI``
set) a missing Chromium or Playwright fails the test; elsewhere it is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

from paxosbook.testing.lab import (
    Lab,
    Unavailable,
    chromium_page,
    jupyterlab,
    open_notebook,
    run_all,
    stderr_outputs,
)

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
THROTTLE_ENV = "PAXOSBOOK_BROWSER_THROTTLE"
WINDOW = (1400, 900)  # the reader's window, with the file browser open
RUN_TIMEOUT = 900.0  # seconds (times the throttle) for one notebook's Run All, loaded machine


def unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"CI: {reason}; .ci/run installs chromium with apt-get and playwright "
                    "with the test extra")
    pytest.skip(reason)


def throttle() -> float:
    """The CPU slow-down factor asked for in ``PAXOSBOOK_BROWSER_THROTTLE`` (1: none)."""
    text = os.environ.get(THROTTLE_ENV, "1").strip() or "1"
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 1 <= rate <= 20:
        pytest.fail(f"{THROTTLE_ENV} must be a number from 1 to 20; got {text!r}")
    return rate


@dataclass
class Session:
    """The session's server and page, and which notebook the page shows, run."""

    lab: Lab
    page: Any
    rate: float
    shown: str | None = None

    def run(self, name: str) -> float | None:
        """Show notebook ``name`` at the reader's window size, file browser open, every cell
        run; seconds Run All took, or None if it was run already and is still shown."""
        self.page.set_viewport_size({"width": WINDOW[0], "height": WINDOW[1]})
        if self.shown == name:
            return None
        if self.shown is not None:
            self.lab.shut_down_kernels()  # the notebook done with stops using memory
        self.shown = None
        open_notebook(self.page, self.lab, f"{name}?reset", timeout=RUN_TIMEOUT)
        open_file_browser(self.page)
        seconds = run_all(self.page, self.lab, RUN_TIMEOUT * self.rate, self.rate)
        self.shown = name
        return seconds

    def errors(self) -> list[str]:
        """Tracebacks and errors printed in the notebook shown."""
        return [e for e in stderr_outputs(self.page) if "Traceback" in e or "Error" in e]


def open_file_browser(page: Any) -> None:
    """The reader's JupyterLab has the file browser open on the left: so does ours."""
    if not page.locator("#filebrowser").is_visible():
        page.locator(".jp-SideBar.jp-mod-left [data-id='filebrowser']").first.click()
    page.locator("#filebrowser").wait_for(state="visible")


@contextlib.contextmanager
def browser_session(workdir: Path) -> Iterator[Session]:
    rate = throttle()
    try:
        with jupyterlab(workdir, env={"PAXOSBOOK_TEST": "1"}) as lab, \
                chromium_page(rate, *WINDOW) as page:
            yield Session(lab, page, rate)
    except Unavailable as exc:
        unavailable(str(exc))
