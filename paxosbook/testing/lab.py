"""JupyterLab and Chromium for browser tests and benchmarks.

Theory of operation. ``jupyterlab(workdir)`` starts JupyterLab on 127.0.0.1, on a free port,
without a token, with its config, runtime, settings and workspace directories under
``workdir`` and serving a copy of ``notebooks/`` there (autosave never writes outputs into the
repository), nothing fetched from the internet; it yields a ``Lab`` and stops the server and
its kernels (its own process group, by id) whatever happens. ``chromium_page()`` launches
Debian's Chromium through Playwright, optionally CPU-throttled through the DevTools protocol,
and closes it at the end. ``open_notebook``, ``run_all_cells`` and ``wait_until_idle`` drive
a notebook and wait on the kernel (its REST status and the cells' prompts), never on the
clock. Playwright is imported inside the functions that launch a browser: this package
imports without it. What is missing (no Chromium, no Playwright) raises ``Unavailable``; the
caller decides whether that skips or fails.
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

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic")
NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
SERVER_START_TIMEOUT = 90.0  # seconds


class Unavailable(RuntimeError):
    """Something a browser run needs is not installed (the message says what)."""


class LabFailed(RuntimeError):
    """JupyterLab exited or did not answer; the message ends with its log."""


@dataclass(frozen=True)
class Lab:
    url: str
    """Base URL, ending in ``/``."""
    root: Path
    """The served copy of the notebooks."""
    log: Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def lab_command(root: Path, workdir: Path, port: int) -> list[str]:
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password=",
           f"--ServerApp.root_dir={root}", f"--LabApp.workspaces_dir={workdir / 'ws'}",
           f"--LabApp.user_settings_dir={workdir / 'settings'}",
           # nothing from the internet: no extension manager, news or update checks
           "--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # containers and CI run as root
    return cmd


@contextlib.contextmanager
def jupyterlab(workdir: Path, notebooks: Path = NOTEBOOKS,
               timeout: float = SERVER_START_TIMEOUT) -> Iterator[Lab]:
    """A JupyterLab server on a copy of ``notebooks`` under ``workdir``; stopped on exit."""
    root = workdir / "lab"
    shutil.copytree(notebooks, root)
    settings = workdir / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    port = free_port()
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(workdir / "config"),
               JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_PLATFORM_DIRS="1")
    log_path = workdir / "jupyterlab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(lab_command(root, workdir, port), cwd=root, env=env,
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
            time.sleep(0.5)
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


def open_notebook(page: Any, lab: Lab, name: str, timeout: float = 180.0) -> None:
    """Open notebook ``name`` and wait until its kernel is up and idle."""
    from playwright.sync_api import expect

    page.goto(lab.url + f"lab/tree/{name}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=timeout * 1000)
    expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible(
        timeout=timeout * 1000)
    dismiss_popups(page)


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


_CELLS_DONE = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .map(p => p.textContent.trim());
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:?$/.test(p));
}"""


def kernels_idle(lab: Lab) -> bool:
    """Whether every kernel of the server reports itself idle."""
    with urllib.request.urlopen(lab.url + "api/kernels", timeout=5) as resp:
        kernels = json.loads(resp.read())
    return bool(kernels) and all(k.get("execution_state") == "idle" for k in kernels)


def wait_until_idle(page: Any, lab: Lab, timeout: float = 300.0, settle: float = 1.0) -> None:
    """Wait until every code cell has run (a number in its prompt, none queued ``[*]``) and
    the kernel has stayed idle for ``settle`` seconds (it goes idle between queued cells)."""
    deadline = time.monotonic() + timeout
    page.wait_for_function(_CELLS_DONE, timeout=timeout * 1000, polling=200)
    idle_since: float | None = None
    while time.monotonic() < deadline:
        now = time.monotonic()
        if kernels_idle(lab) and page.evaluate(_CELLS_DONE):
            idle_since = idle_since if idle_since is not None else now
            if now - idle_since >= settle:
                return
        else:
            idle_since = None
        time.sleep(0.1)
    raise TimeoutError(f"the kernel was still busy after {timeout:.0f}s")
