"""The README opens with the two commands, and CI runs the second one exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_opens_with_install_and_start_then_install_and_test():
    start, test = readme_commands()
    assert "pip install" in start and start.endswith("&& .venv/bin/paxosbook lab")
    assert "pip install" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines


def test_ci_checks_that_no_notebook_is_committed_with_outputs():
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'git show ":$nb" | .venv/bin/paxosbook strip-outputs --check --stdin' in ci


def test_binder_badge_opens_the_quickstart():
    badge = re.search(r"\(https://mybinder\.org/v2/gh/\S+\)", (ROOT / "README.md").read_text())
    assert badge and badge[0].endswith("?urlpath=lab/tree/notebooks/00_quickstart.ipynb)")
    assert (ROOT / "notebooks" / "00_quickstart.ipynb").is_file()
