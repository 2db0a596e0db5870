"""``paxosbook lab``: the README's first command starts JupyterLab on notebooks/, root or not.

The command line it builds is checked as a value (with and without root, by monkeypatching
``os.geteuid``); then the real thing runs: ``python -m paxosbook lab`` on a free 127.0.0.1 port,
no browser, no token, in temporary Jupyter config and runtime folders. The test waits (bounded)
for ``/api/status``, checks that the served root is this repository's notebooks/ and that the
file to open is ``00_quickstart.ipynb``, stops the server's process group and checks that no
process of it is left.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from paxosbook.cli import main as cli
from paxosbook.commands import lab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
START_TIMEOUT = 90.0  # seconds for JupyterLab to answer /api/status
STOP_TIMEOUT = 20.0  # seconds for its process group to end after SIGTERM


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("uid, root_flag", [(0, True), (1000, False)])
def test_allow_root_only_as_root(monkeypatch, uid, root_flag):
    monkeypatch.setattr(os, "geteuid", lambda: uid, raising=False)
    cmd = lab.lab_command(NOTEBOOKS)
    assert ("--allow-root" in cmd) is root_flag


def test_command_serves_the_folder_opens_the_quickstart_and_passes_flags_on(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000, raising=False)
    cmd = lab.lab_command(NOTEBOOKS, port=9123, browser=False, extra=["--ServerApp.ip=::1"])
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={NOTEBOOKS}" in cmd
    assert {"--ServerApp.port=9123", "--no-browser", "--ServerApp.ip=::1",
            *lab.OFFLINE_FLAGS} <= set(cmd)
    assert cmd[-1] == str(NOTEBOOKS / "00_quickstart.ipynb")  # jupyter's file to open


def test_a_folder_without_the_quickstart_is_served_without_a_file_to_open(tmp_path):
    cmd = lab.lab_command(tmp_path)
    assert not any(arg.endswith(".ipynb") for arg in cmd)
    assert "--no-browser" not in cmd and not any("port=" in arg for arg in cmd)


def test_default_folder_is_this_checkouts_notebooks():
    assert lab.PACKAGE_NOTEBOOKS == NOTEBOOKS


@pytest.mark.parametrize("argv, message", [
    (["--port", "0"], "--port: must be an integer from 1 to 65535; got '0'"),
    (["--port", "70000"], "--port: must be an integer from 1 to 65535; got '70000'"),
    (["--port", "http"], "--port: must be an integer from 1 to 65535; got 'http'"),
    (["--notebooks", "/no/such/folder"], "--notebooks: must be a folder of notebooks; "
                                          "got '/no/such/folder', which is not a folder"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        cli(["lab", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err == f"paxosbook lab: {message}\n"


def test_without_jupyterlab_it_says_how_to_install_it(capsys, monkeypatch):
    real = lab.importlib.util.find_spec
    monkeypatch.setattr(lab.importlib.util, "find_spec",
                        lambda name: None if name == "jupyterlab" else real(name))
    with pytest.raises(SystemExit) as exit_:
        cli(["lab", "--no-browser"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ('paxosbook lab: jupyterlab is not installed; install '
                                       'it with pip install -e ".[notebook]"\n')


def test_other_subcommands_still_refuse_unknown_flags(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli(["run", "--ServerApp.port=1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == "paxosbook: unrecognized arguments: --ServerApp.port=1\n"


def test_lab_starts_serves_the_notebooks_and_stops(tmp_path):
    pytest.importorskip("jupyterlab")
    port = _free_port()
    runtime = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_PLATFORM_DIRS="1")
    cmd = [sys.executable, "-m", "paxosbook", "lab", "--port", str(port), "--no-browser",
           "--ServerApp.ip=127.0.0.1", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", "--ServerApp.password="]
    log_path = tmp_path / "lab.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url + "api/status", server, log_path)
        with urllib.request.urlopen(url + "api/contents", timeout=10) as resp:
            listed = {item["name"] for item in json.load(resp)["content"]}
        assert listed == {p.name for p in NOTEBOOKS.iterdir()
                          if not p.name.startswith(".")}
        to_open = "".join(p.read_text() for p in runtime.glob("jpserver-*-open.html"))
        assert "lab/tree/00_quickstart.ipynb" in to_open, to_open
    finally:
        _stop(server)
    assert _group_is_gone(server.pid), "a process of the JupyterLab server was left running"


def _wait_for(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"paxosbook lab exited with {server.returncode}:\n"
                        f"{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"paxosbook lab did not answer within {START_TIMEOUT:.0f}s:\n"
                f"{log.read_text()[-3000:]}")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group (by its id), SIGKILL it if it does not end."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


def _group_is_gone(pgid: int) -> bool:
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False
