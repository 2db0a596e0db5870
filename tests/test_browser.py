"""A real browser opens 02_failures.ipynb in JupyterLab, runs it, and moves the drop slider.

JupyterLab is started on 127.0.0.1 on a free port without a token, serving a temporary copy of
the notebooks (so autosave can never write outputs into the repository), and is stopped at the
end whatever happens. Debian's chromium (``/usr/bin/chromium``) is driven with Playwright. In
CI (``CI`` set) a missing browser or Playwright fails the test; elsewhere it is skipped with the
reason. A screenshot is saved under ``tests/artifacts/`` (git-ignored) either way the test ends.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
SERVER_START_TIMEOUT = 90.0  # seconds
RUN_ALL_TIMEOUT = 180_000  # ms: every cell of 02_failures executed and its widgets drawn
CHANGE_TIMEOUT = 60_000  # ms: slider moved -> new run drawn


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI: {reason}; .ci/run installs chromium with apt-get and playwright "
                    "with the test extra")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[str]:
    """A JupyterLab server on a temporary copy of notebooks/; yields its base URL."""
    if not CHROMIUM.exists():
        _unavailable("no /usr/bin/chromium (install it with `apt-get install chromium`)")
    root = tmp_path / "lab"
    shutil.copytree(ROOT / "notebooks", root)
    settings = tmp_path / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = _free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_PLATFORM_DIRS="1")
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={tmp_path / 'ws'}",
           f"--LabApp.user_settings_dir={tmp_path / 'settings'}",
           # nothing from the internet: no extension manager, news or update checks
           "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI containers run as root
    log = (tmp_path / "jupyterlab.log").open("wb")
    server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url, server, tmp_path / "jupyterlab.log")
        yield url
    finally:
        _stop(server)
        log.close()


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
            time.sleep(0.5)
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


# JavaScript run in the page: what the first explorer shows right now.
_SEQUENCE_SIGNATURE = """() => {
  const gd = document.querySelector('.paxosbook-explorer .js-plotly-plot.paxosbook-sequence');
  if (!gd || !gd.data) return null;
  const title = gd.layout && gd.layout.title ? (gd.layout.title.text || '') : '';
  return title + ' | ' + gd.data.map(t => (t.name || '') + ':' + (t.x ? t.x.length : 0)).join(',');
}"""


def test_explorer_reacts_to_the_drop_slider(lab: str) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "browser_02_failures.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            try:
                _run_notebook_and_move_slider(page, lab)
            finally:
                page.screenshot(path=str(shot), full_page=False)
        finally:
            browser.close()
    assert shot.stat().st_size > 0


def _run_notebook_and_move_slider(page: object, lab: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(lab + "lab/tree/02_failures.ipynb")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=RUN_ALL_TIMEOUT)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(
        timeout=RUN_ALL_TIMEOUT)
    _dismiss_popups(page)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    _dismiss_popups(page)

    explorer = page.locator(".paxosbook-explorer").first
    summary = explorer.locator(".paxosbook-summary")
    expect(summary).to_be_visible(timeout=RUN_ALL_TIMEOUT)
    # the second cell changes drop and seed from code; wait until that run is drawn
    expect(explorer.locator(".paxosbook-reproduce")).to_contain_text("seed=3",
                                                                     timeout=RUN_ALL_TIMEOUT)
    page.wait_for_function(f"({_SEQUENCE_SIGNATURE})() !== null", timeout=RUN_ALL_TIMEOUT)
    explorer.scroll_into_view_if_needed()
    summary_before = summary.inner_text()
    sequence_before = page.evaluate(_SEQUENCE_SIGNATURE)

    slider = explorer.locator(".widget-slider", has=page.locator(".widget-label",
                                                                 has_text="drop")).first
    readout_before = slider.locator(".widget-readout").inner_text()
    handle = slider.locator(".noUi-handle").first
    handle.focus()
    for _ in range(20):  # 0.10 -> 0.30 in steps of 0.01
        handle.press("ArrowRight")
    expect(slider.locator(".widget-readout")).not_to_have_text(readout_before, timeout=10_000)
    expect(summary).not_to_have_text(summary_before, timeout=CHANGE_TIMEOUT)
    page.wait_for_function(f"({_SEQUENCE_SIGNATURE})() !== {_js(sequence_before)}",
                           timeout=CHANGE_TIMEOUT)
    sequence_after = page.evaluate(_SEQUENCE_SIGNATURE)
    assert sequence_after != sequence_before
    assert "dropped" in summary.inner_text()
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.first.inner_text()
    explorer.scroll_into_view_if_needed()


def _dismiss_popups(page: object) -> None:
    """If JupyterLab asks which kernel to use, take the one it offers."""
    from playwright.sync_api import Error, Page

    assert isinstance(page, Page)
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    if dialog.count():
        with contextlib.suppress(Error):  # it may go away by itself
            dialog.first.click(timeout=5_000)


def _js(value: object) -> str:
    import json

    return json.dumps(value)
