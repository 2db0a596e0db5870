"""``paxosbook lab``: JupyterLab on the book's notebooks, opening ``00_quickstart.ipynb``.

The notebooks folder is the repository's ``notebooks/`` next to the package (an editable
install, as the README's first command makes), or ``--notebooks DIR``. ``--allow-root`` is
added only when running as root (a container, a devcontainer, a CI image), where JupyterLab
otherwise refuses to start. JupyterLab is told not to reach the internet: no news feed, no
update check, a read-only extension manager. Flags this command does not know go to
``jupyter lab`` unchanged (``paxosbook lab --ServerApp.ip=0.0.0.0``).

On POSIX the process becomes JupyterLab (``exec``), so Ctrl-C and signals reach it directly.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .args import fail

FIRST_NOTEBOOK = "00_quickstart.ipynb"
OFFLINE_FLAGS = ("--LabApp.extension_manager=readonly", "--LabApp.news_url=None",
                 "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
"""JupyterLab without internet access: no extension search, news or update checks."""
PACKAGE_NOTEBOOKS = Path(__file__).resolve().parent.parent.parent / "notebooks"
"""The repository's notebooks/ when paxosbook is installed editable from a checkout."""


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lab", help="start JupyterLab on the notebooks", allow_abbrev=False,
                       description="Start JupyterLab on the repository's notebooks/ and open "
                                   f"{FIRST_NOTEBOOK}. Other flags go to `jupyter lab`.")
    p.add_argument("--notebooks", metavar="DIR",
                   help=f"the notebooks folder (default: {PACKAGE_NOTEBOOKS})")
    p.add_argument("--port", help="the port to serve on (default: JupyterLab's, 8888)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.set_defaults(main=main, pass_through=True)


def main(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("jupyterlab") is None:
        fail('paxosbook lab: jupyterlab is not installed; install it with '
             'pip install -e ".[notebook]"')
    cmd = lab_command(notebooks_folder(args.notebooks), port=port(args.port),
                      browser=not args.no_browser, extra=args.extra)
    if os.name == "posix":
        os.execv(cmd[0], cmd)
    return subprocess.call(cmd)  # pragma: no cover (Windows)


def notebooks_folder(given: str | None) -> Path:
    """``--notebooks DIR`` or the package's, as an absolute path; exit 2 if it is no folder."""
    folder = Path(given) if given is not None else PACKAGE_NOTEBOOKS
    if not folder.is_dir():
        hint = "" if given is not None else " (paxosbook is not installed from a checkout)"
        fail(f"paxosbook lab: --notebooks: must be a folder of notebooks; got "
             f"{str(folder)!r}, which is not a folder{hint}")
    return folder.resolve()


def port(text: str | None) -> int | None:
    """``--port`` as an int from 1 to 65535 (None: JupyterLab's default); else exit 2."""
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 65535:
        fail(f"paxosbook lab: --port: must be an integer from 1 to 65535; got {text!r}")
    return value


def lab_command(notebooks: Path, *, port: int | None = None, browser: bool = True,
                extra: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The ``python -m jupyterlab`` command line serving ``notebooks``."""
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks}",
           *OFFLINE_FLAGS]
    if port is not None:
        cmd.append(f"--ServerApp.port={port}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # root is normal in containers and CI images
    cmd.extend(extra)
    if (notebooks / FIRST_NOTEBOOK).is_file():
        cmd.append(str(notebooks / FIRST_NOTEBOOK))  # the file JupyterLab opens
    return cmd
