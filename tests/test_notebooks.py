"""Every notebook in notebooks/ runs top to bottom, leaves no file behind, and none is
committed with outputs.

"Committed" means what git holds (its index), not the working file: a reader who runs a
notebook in JupyterLab gets outputs autosaved into the working copy, and that must not fail
the tests. Outside a git checkout (an sdist, say) the file itself is checked.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from paxosbook.commands.strip import strip_outputs

ROOT = Path(__file__).parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CELL_TIMEOUT = 60  # seconds; a notebook whose cell needs longer fails


def committed_text(path: Path) -> str:
    """The notebook as git's index holds it when ``path`` is tracked in a git checkout (what
    is committed, or staged to be), else the file's own text."""
    try:
        out = subprocess.run(["git", "-C", str(path.parent), "show", f":./{path.name}"],
                             capture_output=True, timeout=60)
        if out.returncode == 0:
            return out.stdout.decode("utf-8")
    except (OSError, subprocess.TimeoutExpired):
        pass  # no git: not a checkout either
    return path.read_text(encoding="utf-8")


def assert_stored_without_outputs(path: Path) -> None:
    nb = nbformat.reads(committed_text(path), as_version=4)
    dirty = [i for i, c in enumerate(nb.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, (f"{path.name}: cells {dirty} are committed with outputs; strip them "
                       f"(paxosbook strip-outputs {path.name}) and commit again")


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    assert_stored_without_outputs(path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_stripping_the_committed_notebook_changes_nothing(path):
    """So the git filter and ``.ci/run``'s check agree with what is committed."""
    text = committed_text(path)
    assert strip_outputs(text) == text


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    "-c", "commit.gpgsign=false", *args], check=True, capture_output=True,
                   timeout=60)


def _with_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(nb)
    cell = nb.cells[0]
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    return nb


def test_outputs_count_where_they_are_committed_not_in_the_working_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # tmp_path is no checkout
    path = tmp_path / "repo" / "n.ipynb"
    path.parent.mkdir()
    clean = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('hi')")])
    nbformat.write(_with_outputs(clean), path)
    with pytest.raises(AssertionError, match="cells \\[0\\] are committed with outputs"):
        assert_stored_without_outputs(path)  # outside git: the file itself
    _git(path.parent, "init", "-q")
    nbformat.write(clean, path)
    _git(path.parent, "add", "n.ipynb")
    _git(path.parent, "commit", "-qm", "clean")
    nbformat.write(_with_outputs(clean), path)  # a reader ran it: the working copy is dirty
    assert_stored_without_outputs(path)
    _git(path.parent, "commit", "-qam", "outputs")
    with pytest.raises(AssertionError, match="cells \\[0\\] are committed with outputs"):
        assert_stored_without_outputs(path)


def _files() -> set[Path]:
    """notebooks/ and the repository's top level: where a notebook could leave a file."""
    return set(NOTEBOOK_DIR.rglob("*")) | set(ROOT.iterdir())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_executes(path, tmp_path, monkeypatch):
    nb = nbformat.read(path, as_version=4)  # executed in memory: the file is never written
    monkeypatch.setenv("PAXOSBOOK_TEST", "1")  # notebooks may read this to use fewer seeds
    before = _files()
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
    assert _files() == before, "the notebook left files in the repository"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert not left, f"the notebook left {left} in its working folder"
