"""``paxosbook strip-outputs``: clears what a run adds to a notebook, byte-compatible with
nbformat, in place, as a git filter (stdin to stdout) and as a check.

nbformat (the reference implementation of the file format) is the independent reference for
the layout: a notebook with outputs, stripped, must equal the clean one as nbformat writes it,
byte for byte (tests/test_notebooks.py checks that stripping each committed notebook changes
nothing).
"""

from __future__ import annotations

import copy
import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from paxosbook.cli import main as cli
from paxosbook.commands.strip import cells_with_outputs, strip_outputs
from paxosbook.core import FormatError

ROOT = Path(__file__).resolve().parent.parent


def _clean() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3",
                                                           "display_name": "Python 3",
                                                           "language": "python"},
                                            "language_info": {"name": "python"}})
    nb.cells = [nbformat.v4.new_markdown_cell("# Title\n\nSome *prose* é→λ.", id="m1"),
                nbformat.v4.new_code_cell("x = 1\nx", id="c1",
                                          metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("print('hi')", id="c2")]
    return nb


def _ran(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What JupyterLab saves after Run All: outputs, counts, timings, widget state."""
    nb = copy.deepcopy(nb)
    nb.cells[1].execution_count = 1
    nb.cells[1].outputs = [nbformat.v4.new_output("execute_result", {"text/plain": "1"},
                                                  execution_count=1)]
    nb.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-11-29T21:00:00Z"}
    nb.cells[2].execution_count = 2
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="hi\n")]
    nb.cells[2].metadata.update(collapsed=False, scrolled=True, ExecuteTime={"x": 1})
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.9",
                                    "mimetype": "text/x-python"}
    return nb


def test_a_run_notebook_strips_to_the_clean_file_byte_for_byte():
    clean = nbformat.writes(_clean()) + "\n"  # what nbformat.write puts on disk
    ran = nbformat.writes(_ran(_clean())) + "\n"
    assert cells_with_outputs(ran) == [1, 2]
    assert strip_outputs(ran) == clean
    assert cells_with_outputs(strip_outputs(ran)) == []


def test_keeps_what_the_author_wrote():
    stripped = json.loads(strip_outputs(nbformat.writes(_ran(_clean()))))
    assert stripped["cells"][1]["metadata"] == {"tags": ["parameters"]}
    assert [c["id"] for c in stripped["cells"]] == ["m1", "c1", "c2"]
    assert stripped["metadata"]["kernelspec"]["name"] == "python3"
    assert stripped["metadata"]["language_info"] == {"name": "python"}


def test_layout_is_normalised_like_nbformat():
    """A source stored as one string, and indent 2, come out as nbformat writes them."""
    nb = _clean()
    odd = json.dumps(nb, indent=2)  # sources as single strings, two-space indent, no newline
    assert strip_outputs(odd) == nbformat.writes(nb) + "\n"


@pytest.mark.parametrize("text", ["", "{", "[]", '{"cells": 3}', '{"cells": [1]}',
                                  "[" * 100_000, '{"cells": [{"source": 3}]}',
                                  '{"cells": [{"attachments": [1]}]}',
                                  '{"cells": [{"attachments": {"a.png": 1}}]}'])
def test_not_a_notebook_is_a_format_error(text):
    with pytest.raises(FormatError, match="not a notebook"):
        strip_outputs(text)


def test_odd_but_valid_metadata_is_left_alone():
    text = json.dumps({"cells": [], "metadata": [], "nbformat": 4, "nbformat_minor": 5})
    assert json.loads(strip_outputs(text))["metadata"] == []


def test_in_place_rewrites_only_what_changes(tmp_path, capsys):
    ran, clean = tmp_path / "ran.ipynb", tmp_path / "clean.ipynb"
    nbformat.write(_ran(_clean()), ran)
    nbformat.write(_clean(), clean)
    before = clean.stat().st_mtime_ns
    assert cli(["strip-outputs", str(ran), str(clean)]) == 0
    assert capsys.readouterr().out == f"stripped {ran}\n"
    assert ran.read_bytes() == clean.read_bytes()
    assert clean.stat().st_mtime_ns == before


def test_check_names_the_dirty_files_and_exits_1(tmp_path, capsys):
    ran, clean = tmp_path / "ran.ipynb", tmp_path / "clean.ipynb"
    nbformat.write(_ran(_clean()), ran)
    nbformat.write(_clean(), clean)
    dirty = ran.read_bytes()
    assert cli(["strip-outputs", "--check", str(clean)]) == 0
    assert cli(["strip-outputs", "--check", str(ran), str(clean)]) == 1
    out = capsys.readouterr().out
    assert out == (f"{ran}: not stripped (cells 1, 2 have outputs); "
                   f"run: paxosbook strip-outputs {ran}\n")
    assert ran.read_bytes() == dirty  # --check writes nothing


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "FILE: must be a readable notebook; got '{p}' (No such file or directory)"),
    (lambda p: p.write_bytes(b"\xff\xfe"), "{p}: not a notebook: not UTF-8 text"),
    (lambda p: p.write_text("{}"), "{p}: not a notebook: no list of cells"),
])
def test_bad_files_are_one_line_and_exit_2(tmp_path, capsys, make, message):
    path = tmp_path / "x.ipynb"
    make(path)
    with pytest.raises(SystemExit) as exit_:
        cli(["strip-outputs", str(path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == f"paxosbook strip-outputs: {message.format(p=path)}\n"


def test_a_file_that_cannot_be_written_is_one_line_and_exit_2(tmp_path, capsys, monkeypatch):
    path = tmp_path / "x.ipynb"
    nbformat.write(_ran(_clean()), path)

    def read_only(self: Path, data: bytes) -> int:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(Path, "write_bytes", read_only)
    with pytest.raises(SystemExit) as exit_:
        cli(["strip-outputs", str(path)])
    assert exit_.value.code == 2
    assert capsys.readouterr().err == ("paxosbook strip-outputs: FILE: must be a writable "
                                       f"notebook; got '{path}' (Read-only file system)\n")


def _filter(text: bytes, *flags: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "paxosbook", "strip-outputs", "--stdin",
                           *flags], input=text, capture_output=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "LC_ALL": "C",  # no UTF-8 locale
                               "PYTHONPATH": str(ROOT)})


def test_stdin_filter_writes_the_stripped_notebook_on_stdout():
    out = _filter(nbformat.writes(_ran(_clean())).encode("utf-8"))
    assert out.returncode == 0, out.stderr
    assert out.stdout == (nbformat.writes(_clean()) + "\n").encode("utf-8")
    assert _filter(out.stdout, "--check").returncode == 0
    dirty = _filter(nbformat.writes(_ran(_clean())).encode("utf-8"), "--check")
    assert dirty.returncode == 1
    assert dirty.stderr == b"<stdin>: not stripped (cells 1, 2 have outputs)\n"
    bad = _filter(b"not json")
    assert bad.returncode == 2
    assert bad.stderr.decode().startswith("paxosbook strip-outputs: <stdin>: not a notebook")


def test_stdin_with_files_or_nothing_at_all_is_a_usage_error(capsys):
    for argv in (["--stdin", "a.ipynb"], []):
        with pytest.raises(SystemExit) as exit_:
            cli(["strip-outputs", *argv])
        assert exit_.value.code == 2
    assert len(capsys.readouterr().err.splitlines()) == 2


def _readme_filter() -> str:
    """The clean command of the README's ``git config filter.paxosbook-strip.clean`` line."""
    found = re.search(r'^git config filter\.paxosbook-strip\.clean "([^"]+)"$',
                      (ROOT / "README.md").read_text(), re.MULTILINE)
    assert found, "README: no git config line for the paxosbook-strip filter"
    return found[1]


def _here(command: str) -> str:
    """A README command with ``.venv/bin/paxosbook`` replaced by this interpreter's."""
    assert command.startswith(".venv/bin/paxosbook ")
    return command.replace(".venv/bin/paxosbook", f"{sys.executable} -m paxosbook", 1)


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          timeout=60)


def test_the_readme_git_filter_keeps_outputs_out_of_what_git_stores(tmp_path):
    """The README's filter with the repository's .gitattributes: the working copy keeps its
    outputs, git stores the stripped notebook."""
    assert "*.ipynb filter=paxosbook-strip" in (ROOT / ".gitattributes").read_text()
    _git(tmp_path, "init", "-q")
    shutil.copy(ROOT / ".gitattributes", tmp_path)
    _git(tmp_path, "config", "filter.paxosbook-strip.clean", _here(_readme_filter()))
    path = tmp_path / "n.ipynb"
    nbformat.write(_ran(_clean()), path)
    ran = path.read_bytes()
    _git(tmp_path, "add", "n.ipynb")
    assert _git(tmp_path, "show", ":n.ipynb").stdout == (nbformat.writes(_clean()) + "\n").encode()
    assert path.read_bytes() == ran


def test_the_pre_commit_hook_strips_notebooks(tmp_path):
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    [hook] = [h for repo in config["repos"] for h in repo["hooks"]
              if h["id"] == "paxosbook-strip-outputs"]
    assert hook["entry"] + " --stdin" == _readme_filter()  # the same command as the filter
    assert re.search(hook["files"], "notebooks/00_quickstart.ipynb")
    assert not re.search(hook["files"], "paxosbook/cli.py")
    path = tmp_path / "n.ipynb"
    nbformat.write(_ran(_clean()), path)
    subprocess.run([*_here(hook["entry"]).split(), str(path)], check=True, timeout=60,
                   capture_output=True)
    assert path.read_text() == nbformat.writes(_clean()) + "\n"
