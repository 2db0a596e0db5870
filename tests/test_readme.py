"""The README opens with the two commands, and CI runs the second one exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_opens_with_install_and_start_then_install_and_test():
    start, test = readme_commands()
    assert "pip install" in start and "jupyter lab notebooks/" in start
    assert "pip install" in test and "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert readme_commands()[1] in ci_lines
