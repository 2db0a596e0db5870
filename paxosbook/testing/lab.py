"""JupyterLab and Chromium for the browser tests and benchmarks (the one harness both use).

Theory of operation. ``jupyterlab(workdir)`` starts JupyterLab on 127.0.0.1, on a free port,
without a token, with its config, runtime, settings and workspace directories under
``workdir`` and serving a copy of ``notebooks/`` there (autosave never writes outputs into the
repository), nothing fetched from the internet (``paxosbook lab``'s ``OFFLINE_FLAGS``); it
yields a ``Lab`` and stops the server and its kernels (its own process group, by id) whatever
happens. ``chromium_page()`` launches Debian's Chromium through Playwright, optionally
CPU-throttled through the DevTools protocol (``Emulation.setCPUThrottlingRate``: 4 makes the
page run as on a CPU four times slower), and closes it at the end.

``open_notebook``, ``run_all_cells`` and ``wait_until_idle`` drive a notebook and wait on the
kernel (the server's ``/api/kernels`` and the cells' prompts), never on the clock;
``wait_for_figures`` waits until every plotly figure has drawn and stopped changing size.
Playwright is imported inside the functions that need it: this package imports without it.
What is missing (no Chromium, no Playwright) raises ``Unavailable``; a notebook that does not
finish raises ``NotebookFailed``, saying why. The caller decides whether to skip or fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..commands.lab import OFFLINE_FLAGS

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SERVER_START_TIMEOUT = 90.0  # seconds
POLL = 0.5  # seconds between two looks at the kernel or the page
LOST_REPLIES = 120.0  # seconds (times the CPU throttle) a page may make no progress while
# every kernel is idle before it is declared to have lost the kernel's replies
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""CSS selector of the notebook shown (tabs in the background are hidden)."""


class Unavailable(RuntimeError):
    """Something a browser run needs is not installed (the message says what)."""


class LabFailed(RuntimeError):
    """JupyterLab exited or did not answer; the message ends with its log."""


class NotebookFailed(RuntimeError):
    """A notebook did not finish: a cell raised, the page lost its kernel, or time ran out."""


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL (ending in ``/``), the folder it serves, its log."""

    url: str
    root: Path
    log: Path

    def kernels(self) -> list[dict[str, Any]] | None:
        """The server's kernels (``None`` if it is too busy to answer within 10 s)."""
        try:
            with urllib.request.urlopen(self.url + "api/kernels", timeout=10) as resp:
                return list(json.load(resp))
        except (OSError, TimeoutError):
            return None

    def kernels_idle(self) -> bool:
        """Whether the server answered and reports every kernel idle (and has one)."""
        kernels = self.kernels()
        return bool(kernels) and all(k.get("execution_state") == "idle"
                                     for k in kernels or ())

    def dropped_websocket(self) -> bool:
        """Did the server close a page's websocket because the page did not answer its pings
        (a page too busy to answer for ~90 s; what was being sent to it is lost)?"""
        return "WebSocket ping timeout" in self.log.read_text(errors="replace")

    def shut_down_kernels(self) -> None:
        """End every session and its kernel (a notebook done with stops using memory)."""
        with urllib.request.urlopen(self.url + "api/sessions", timeout=60) as resp:
            sessions = json.load(resp)
        for session in sessions:
            req = urllib.request.Request(self.url + f"api/sessions/{session['id']}",
                                         method="DELETE")
            with urllib.request.urlopen(req, timeout=60):
                pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_command(root: Path, workdir: Path, port: int) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True",  # sessions are ended over REST
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={workdir / 'ws'}",
           f"--LabApp.user_settings_dir={workdir / 'settings'}", *OFFLINE_FLAGS]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    return cmd


@contextlib.contextmanager
def jupyterlab(workdir: Path, notebooks: Path = NOTEBOOKS, *, env: dict[str, str] | None = None,
               timeout: float = SERVER_START_TIMEOUT) -> Iterator[Lab]:
    """A JupyterLab server on a copy of ``notebooks`` under ``workdir``; stopped on exit.
    ``env`` is added to the environment of the server and its kernels."""
    if not CHROMIUM.exists():  # no use starting a server nobody can look at
        raise Unavailable(f"no {CHROMIUM} (install it with `apt-get install chromium`)")
    root = workdir / "lab"
    shutil.copytree(notebooks, root)
    settings = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = free_port()
    server_env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / "config"),
                      JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_PLATFORM_DIRS="1",
                      **(env or {}))
    log_path = workdir / "jupyterlab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(lab_command(root, workdir, port), cwd=root, env=server_env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        lab = Lab(f"http://127.0.0.1:{port}/", root, log_path)
        try:
            _wait_for_server(lab, server, timeout)
            yield lab
        finally:
            stop(server)


def _wait_for_server(lab: Lab, server: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise LabFailed(f"JupyterLab exited with {server.returncode}:\n"
                            f"{lab.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(lab.url + "api/status", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(POLL)
    raise LabFailed(f"JupyterLab did not answer within {timeout:.0f}s:\n"
                    f"{lab.log.read_text()[-3000:]}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and the kernels it started (its own process group, by id)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


# -- the browser --------------------------------------------------------------------------------
@contextlib.contextmanager
def chromium_page(throttle: float = 1.0, width: int = 1500,
                  height: int = 1100) -> Iterator[Any]:
    """A Playwright ``Page`` in Debian's Chromium, its CPU slowed ``throttle`` times."""
    if not CHROMIUM.exists():
        raise Unavailable(f"no {CHROMIUM} (install it with `apt-get install chromium`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise Unavailable("the playwright package is not installed "
                          "(pip install -e '.[test]')") from None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            if throttle != 1.0:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            yield page
        finally:
            browser.close()


# -- driving JupyterLab -------------------------------------------------------------------------
def open_notebook(page: Any, lab: Lab, name: str, timeout: float = 180.0) -> None:
    """Open notebook ``name`` (a path under the served folder, may end in ``?reset``) and
    wait until its kernel is up and idle."""
    page.goto(lab.url + f"lab/tree/{name}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout * 1000)
    dismiss_popups(page)
    page.get_by_text("| Idle").first.wait_for(timeout=timeout * 1000)


def run_all_cells(page: Any) -> None:
    """Run > Run All Cells, from the menu as a reader would."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    dismiss_popups(page)


def dismiss_popups(page: Any) -> None:
    """If JupyterLab asks which kernel to use, take the one it offers."""
    from playwright.sync_api import Error

    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog.count():
        with contextlib.suppress(Error):  # it may go away by itself
            dialog.first.click(timeout=5_000)


_CELLS = """(selector) => {
  const panel = document.querySelector(selector);
  const prompts = panel ? panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt') : [];
  let pending = 0, ran = 0;
  for (const p of prompts) {
    const text = p.textContent || '';
    if (text.includes('*')) pending++;
    else if (/\\[\\d+\\]/.test(text)) ran++;
  }
  return {pending, ran, code: prompts.length};
}"""


def wait_until_idle(page: Any, lab: Lab, timeout: float = 600.0, throttle: float = 1.0) -> None:
    """Wait until no cell of the notebook shown waits to run and the server reports every
    kernel idle, twice in a row (a kernel is briefly idle between two queued cells); then
    every code cell must have run (Run All stops at a cell that raised: its traceback is in
    the ``NotebookFailed``).

    A page may lag behind its kernel (it is still drawing what the kernel sent), but one that
    makes no progress for ``LOST_REPLIES`` seconds (times ``throttle``) while every kernel is
    idle has lost the kernel's replies: that fails at once, saying why."""
    deadline = time.monotonic() + timeout
    patience = LOST_REPLIES * throttle
    calm = 0
    cells: dict[str, int] = {}
    stalled_since: float | None = None
    while time.monotonic() < deadline:
        before = cells
        cells = page.evaluate(_CELLS, PANEL)
        idle = lab.kernels_idle()
        calm = calm + 1 if idle and cells["pending"] == 0 else 0
        if calm >= 2:
            break
        stalled = idle and cells == before
        stalled_since = (stalled_since or time.monotonic()) if stalled else None
        if stalled_since is not None and time.monotonic() - stalled_since > patience:
            why = ("the server closed the page's websocket (WebSocket ping timeout in its "
                   "log): the page was too busy to answer" if lab.dropped_websocket()
                   else "the page stopped making progress")
            raise NotebookFailed(f"every kernel has been idle for {patience:.0f}s but the page "
                                 f"still shows {cells['pending']} cell(s) waiting: {why}")
        time.sleep(POLL)
    else:
        raise NotebookFailed(f"the notebook did not finish within {timeout:.0f}s: cells "
                             f"{cells}, kernels {lab.kernels()}")
    if cells["ran"] < cells["code"]:
        errors = "\n".join(e[-1500:] for e in stderr_outputs(page))
        raise NotebookFailed(f"only {cells['ran']} of {cells['code']} code cells ran:\n{errors}")


def run_all(page: Any, lab: Lab, timeout: float = 600.0, throttle: float = 1.0) -> float:
    """Run All Cells and wait until every cell has run (``wait_until_idle``); seconds taken."""
    started = time.monotonic()
    run_all_cells(page)
    wait_until_idle(page, lab, timeout, throttle)
    return time.monotonic() - started


_FIGURE_SIZES = """(selector) => Array.from(document.querySelectorAll(
    selector + ' .js-plotly-plot')).map(gd => {
  const r = gd.getBoundingClientRect();
  return [gd._fullLayout ? 1 : 0, Math.round(r.width), Math.round(r.height)];
})"""


def wait_for_figures(page: Any, timeout: float) -> None:
    """Wait until every plotly figure in the notebook shown has drawn and kept its size for
    three looks in a row (figures re-measure their width after display and after a resize)."""
    deadline = time.monotonic() + timeout
    last, calm = None, 0
    while time.monotonic() < deadline:
        sizes = page.evaluate(_FIGURE_SIZES, PANEL)
        drawn = all(s[0] for s in sizes)
        calm = calm + 1 if drawn and sizes == last else 0
        if calm >= 3:
            return
        last = sizes
        time.sleep(POLL)
    raise NotebookFailed(f"plotly figures still not drawn or still resizing after "
                         f"{timeout:.0f}s: {last}")


def stderr_outputs(page: Any) -> list[str]:
    """The text of every stderr output (a traceback, a warning) in the notebook shown."""
    errors = page.locator(f"{PANEL} .jp-OutputArea-output"
                          "[data-mime-type='application/vnd.jupyter.stderr']")
    return [errors.nth(i).inner_text() for i in range(errors.count())]
