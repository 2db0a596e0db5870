"""The Binder configuration is well-formed: it installs this package with its notebook extra
on a Python the package supports, pins JupyterLab's major, adds jupyter-server-proxy (through
which the Dask dashboard link goes on Binder: tested here too), and repo2docker turns it into
a Dockerfile.

No Docker runs here: ``jupyter-repo2docker --no-build --debug`` only prints the Dockerfile it
would build. In CI (``CI`` set) a missing repo2docker is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
EDITABLE = re.compile(r"^-e\s+\.(?:\[(?P<extras>[\w,\s-]+)\])?\s*$")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _requirements() -> list[str]:
    lines = (BINDER / "requirements.txt").read_text().splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def editable_extras(requirements: list[str]) -> set[str] | None:
    """The extras of the ``-e .[...]`` line installing the repository itself, else None."""
    for line in requirements:
        m = EDITABLE.match(line)
        if m:
            return {e.strip() for e in (m["extras"] or "").split(",") if e.strip()}
    return None


def test_requirements_install_this_package_with_its_notebook_extra() -> None:
    extras = editable_extras(_requirements())
    assert extras is not None, "binder/requirements.txt must install the repository: -e .[...]"
    assert "notebook" in extras
    declared = set(_pyproject()["project"]["optional-dependencies"])
    assert extras <= declared, f"unknown extras {sorted(extras - declared)}"


@pytest.mark.parametrize("lines, expected", [
    (["-e .[notebook,dask]"], {"notebook", "dask"}),
    (["-e .[notebook]"], {"notebook"}),
    (["-e ."], set()),
    (["paxosbook[notebook]"], None),  # from PyPI: not this checkout
    (["-e ../other[notebook]"], None),
    (["numpy", "-e .[ notebook , dask ]"], {"notebook", "dask"}),
])
def test_editable_extras_parser(lines: list[str], expected: set[str] | None) -> None:
    assert editable_extras(lines) == expected


def _requirement(name: str) -> Requirement:
    found = [r for r in map(Requirement, (ln for ln in _requirements() if not ln.startswith("-")))
             if canonicalize_name(r.name) == name]
    assert len(found) == 1, f"binder/requirements.txt must name {name} once"
    return found[0]


def test_jupyterlab_major_is_pinned() -> None:
    """Binder's server cannot jump to a new JupyterLab major, and the pin agrees with the
    notebook extra's own requirement."""
    pin = _requirement("jupyterlab").specifier
    assert pin.contains("4.0.0") and pin.contains("4.99.0")
    assert not pin.contains("5.0.0") and not pin.contains("3.6.8")
    extra = [Requirement(r) for r in _pyproject()["project"]["optional-dependencies"]["notebook"]]
    [lab] = [r for r in extra if r.name == "jupyterlab"]
    assert lab.specifier.contains("4.0.0")


def test_server_proxy_carries_the_dask_dashboard() -> None:
    assert _requirement("jupyter-server-proxy")
    assert "dask" in (editable_extras(_requirements()) or set())


@pytest.mark.parametrize("prefix", ["/user/reader-4f2a/", None])
def test_dask_dashboard_link_goes_through_the_proxy_on_a_hub(monkeypatch, prefix) -> None:
    pytest.importorskip("distributed")
    pytest.importorskip("bokeh")  # the dashboard needs it
    import dask

    from paxosbook.experiments import local_dask

    if prefix is None:
        monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    else:
        monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", prefix)
    template = dask.config.get("distributed.dashboard.link")
    with local_dask(workers=1) as client:
        port = client.scheduler_info()["services"]["dashboard"]
        link = client.dashboard_link
    if prefix is None:
        assert link == f"http://127.0.0.1:{port}/status"
    else:
        assert link == f"{prefix}proxy/{port}/status"
    assert dask.config.get("distributed.dashboard.link") == template  # restored on exit


def test_runtime_is_a_supported_python() -> None:
    text = (BINDER / "runtime.txt").read_text().strip()
    m = re.fullmatch(r"python-(\d+)\.(\d+)", text)
    assert m, f"binder/runtime.txt must read python-X.Y; got {text!r}"
    minimum = _pyproject()["project"]["requires-python"]
    low = re.fullmatch(r">=\s*(\d+)\.(\d+)", minimum)
    assert low, minimum
    assert (int(m[1]), int(m[2])) >= (int(low[1]), int(low[2]))


def test_binder_holds_only_files_repo2docker_reads() -> None:
    known = {"requirements.txt", "runtime.txt", "postBuild", "apt.txt", "environment.yml",
             "start"}
    assert {p.name for p in BINDER.iterdir()} <= known


def _repo2docker() -> str:
    exe = shutil.which("jupyter-repo2docker") or str(Path(sys.executable).parent
                                                      / "jupyter-repo2docker")
    if not Path(exe).exists():
        reason = "jupyter-repo2docker is not installed (pip install jupyter-repo2docker)"
        if IN_CI:
            pytest.fail(f"CI: {reason}")
        pytest.skip(reason)
    return exe


def test_repo2docker_writes_a_dockerfile_that_installs_the_package(tmp_path: Path) -> None:
    exe = _repo2docker()
    out = subprocess.run([exe, "--no-build", "--no-run", "--debug", str(ROOT)],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text[-3000:]
    assert "FROM " in text
    version = (BINDER / "runtime.txt").read_text().strip().removeprefix("python-")
    assert f"python={version}" in text
    assert 'pip install --no-cache-dir -r "binder/requirements.txt"' in text
