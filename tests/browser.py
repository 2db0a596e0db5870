"""What the browser tests share: a JupyterLab server, a Chromium page, and waiting for a kernel.

``jupyter_lab(tmp)`` starts JupyterLab on 127.0.0.1 on a free port without a token, serving a
temporary copy of ``notebooks/`` (autosave can never write outputs into the repository), and
stops it and its kernels (its own process group, by id) whatever happens. ``chromium()`` drives
Debian's chromium (``/usr/bin/chromium``) with Playwright, slowed down by
``PAXOSBOOK_BROWSER_THROTTLE`` (Chromium's CPU throttling through the DevTools protocol: 4
makes the page run as on a CPU four times slower; default 1). In CI (``CI`` set) a missing
browser or Playwright fails the test; elsewhere it is skipped with the reason.

Nothing here sleeps for a fixed time to let the notebook "probably" finish: ``run_all`` waits
until the server reports every kernel idle (``GET /api/kernels``, ``execution_state``) and no
cell is waiting to run, and ``wait_for_figures`` until every plotly figure on the page has
drawn and stopped changing size.
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

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
SERVER_START_TIMEOUT = 90.0  # seconds
THROTTLE_ENV = "PAXOSBOOK_BROWSER_THROTTLE"
POLL = 0.5  # seconds between two looks at the kernel or the page
LOST_REPLIES = 120.0  # seconds (times the throttle) a page may show no progress while every
# kernel is idle


def unavailable(reason: str) -> None:
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its base URL, the folder it serves and its log."""

    url: str
    root: Path
    log: Path

    def dropped_websocket(self) -> bool:
        """Did the server close a page's websocket because the page did not answer its pings
        (a page too busy to answer for ~90 s; what was being sent to it is lost)?"""
        return "WebSocket ping timeout" in self.log.read_text(errors="replace")

    def kernels(self) -> list[dict[str, Any]] | None:
        """The server's kernels (``None`` if it is too busy to answer within 10 s)."""
        try:
            with urllib.request.urlopen(self.url + "api/kernels", timeout=10) as resp:
                return list(json.load(resp))
        except (OSError, TimeoutError):
            return None

    def shut_down_kernels(self) -> None:
        """End every session and its kernel (a notebook done with stops using memory)."""
        with urllib.request.urlopen(self.url + "api/sessions", timeout=60) as resp:
            sessions = json.load(resp)
        for session in sessions:
            req = urllib.request.Request(self.url + f"api/sessions/{session['id']}",
                                         method="DELETE")
            with urllib.request.urlopen(req, timeout=60):
                pass


@contextlib.contextmanager
def jupyter_lab(tmp_path: Path, *, env: dict[str, str] | None = None) -> Iterator[Lab]:
    """A JupyterLab server on a temporary copy of notebooks/ (``env``: added to the kernels'
    environment, e.g. ``PAXOSBOOK_TEST=1``)."""
    _need_chromium()
    root = tmp_path / "lab"
    shutil.copytree(ROOT / "notebooks", root)
    settings = tmp_path / "settings" / "@jupyterlab"
    _write(settings / "apputils-extension" / "notification.jupyterlab-settings",
           {"fetchNews": "false"})
    port = _free_port()
    server_env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
                      JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_PLATFORM_DIRS="1",
                      **(env or {}))
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           "--ServerApp.disable_check_xsrf=True",  # the tests end sessions over REST
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
           f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           # nothing from the internet: no extension manager, news or update checks
           "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log_path = tmp_path / "jupyterlab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(cmd, cwd=root, env=server_env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_for_server(url, server, log_path)
            yield Lab(url, root, log_path)
        finally:
            _stop(server)


def _need_chromium() -> None:
    if not CHROMIUM.exists():
        unavailable("no /usr/bin/chromium (install it with `apt-get install chromium`)")


def _write(path: Path, settings: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings))


def _wait_for_server(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "api/status", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(POLL)
    pytest.fail(f"JupyterLab did not answer within {SERVER_START_TIMEOUT:.0f}s:\n"
                f"{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and the kernels it started (its own process group, by id)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


@contextlib.contextmanager
def chromium(width: int, height: int) -> Iterator[Any]:
    """A Playwright page of that size in Debian's chromium, CPU-throttled as asked."""
    _need_chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    rate = throttle()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            if rate != 1:
                cdp = page.context.new_cdp_session(page)
                cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})
            yield page
        finally:
            browser.close()


# -- driving JupyterLab ----------------------------------------------------------------------
def open_notebook(page: Any, lab: Lab, name: str, timeout: float) -> None:
    """Open ``name`` and wait until its kernel is ready."""
    page.goto(lab.url + f"lab/tree/{name}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout * 1000)
    dismiss_popups(page)
    page.get_by_text("| Idle").first.wait_for(timeout=timeout * 1000)


def run_all(page: Any, lab: Lab, timeout: float) -> float:
    """Run All Cells from the menu; return once every cell has run (seconds it took)."""
    started = time.monotonic()
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    dismiss_popups(page)
    wait_until_idle(page, lab, timeout)
    return time.monotonic() - started


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
"""CSS selector of the notebook shown (tabs in the background are hidden)."""

_PENDING_CELLS = """(selector) => {
  const panel = document.querySelector(selector);
  const prompts = panel ? panel.querySelectorAll('.jp-InputPrompt') : [];
  const code = panel ? panel.querySelectorAll('.jp-CodeCell') : [];
  let pending = 0, ran = 0;
  for (const p of prompts) {
    const text = p.textContent || '';
    if (text.includes('*')) pending++;
    else if (/\\[\\d+\\]/.test(text)) ran++;
  }
  return {pending, ran, code: code.length};
}"""


def wait_until_idle(page: Any, lab: Lab, timeout: float) -> None:
    """Wait until no cell waits to run and the server reports every kernel idle, twice in a
    row (a kernel is briefly idle between two queued cells); then every code cell must have
    run (Run All stops at a cell that raised: its traceback is the failure).

    A page may lag behind its kernel (it is still drawing what the kernel sent), but one that
    makes no progress for ``LOST_REPLIES`` seconds (times the CPU throttle) while every
    kernel is idle has lost the kernel's replies: that fails at once, saying why."""
    deadline = time.monotonic() + timeout
    patience = LOST_REPLIES * throttle()
    calm = 0
    cells: dict[str, int] = {}
    kernels: list[Any] = []
    stalled_since: float | None = None
    while time.monotonic() < deadline:
        before = cells
        cells = page.evaluate(_PENDING_CELLS, PANEL)
        kernels = [k.get("execution_state") for k in lab.kernels() or [{}]]
        kernels_idle = all(k == "idle" for k in kernels)
        calm = calm + 1 if kernels_idle and cells["pending"] == 0 else 0
        if calm >= 2:
            break
        stalled = kernels_idle and cells == before
        stalled_since = (stalled_since or time.monotonic()) if stalled else None
        if stalled_since is not None and time.monotonic() - stalled_since > patience:
            why = ("the server closed the page's websocket (WebSocket ping timeout in its "
                   "log): the page was too busy to answer" if lab.dropped_websocket()
                   else "the page stopped making progress")
            pytest.fail(f"every kernel has been idle for {patience:.0f}s but the page still "
                        f"shows {cells['pending']} cell(s) waiting: {why}")
        time.sleep(POLL)
    else:
        pytest.fail(f"the notebook did not finish within {timeout:.0f}s: cells {cells}, "
                    f"kernels {kernels}")
    if cells["ran"] < cells["code"]:
        errors = "\n".join(e[-1500:] for e in stderr_outputs(page))
        pytest.fail(f"only {cells['ran']} of {cells['code']} code cells ran:\n{errors}")


_FIGURE_SIZES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => {
  const r = gd.getBoundingClientRect();
  return [gd._fullLayout ? 1 : 0, Math.round(r.width), Math.round(r.height)];
})"""


def wait_for_figures(page: Any, timeout: float) -> None:
    """Wait until every plotly figure on the page has drawn and kept its size for three looks
    in a row (figures re-measure their width after display)."""
    deadline = time.monotonic() + timeout
    last, calm = None, 0
    while time.monotonic() < deadline:
        sizes = page.evaluate(_FIGURE_SIZES)
        drawn = all(s[0] for s in sizes)
        calm = calm + 1 if drawn and sizes == last else 0
        if calm >= 3:
            return
        last = sizes
        time.sleep(POLL)
    pytest.fail(f"plotly figures still not drawn or still resizing after {timeout:.0f}s: {last}")


def dismiss_popups(page: Any) -> None:
    """If JupyterLab asks which kernel to use, take the one it offers."""
    from playwright.sync_api import Error

    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog.count():
        with contextlib.suppress(Error):  # it may go away by itself
            dialog.first.click(timeout=5_000)


def stderr_outputs(page: Any) -> list[str]:
    """The text of every stderr output (a traceback, a warning) on the page."""
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return [errors.nth(i).inner_text() for i in range(errors.count())]
