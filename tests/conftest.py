"""Test-wide settings.

Under CI (``CI`` set) Hypothesis is derandomized: every CI run explores the same examples, so a
red run is reproducible and a green one is not luck. Locally each run explores new examples,
which is where new counterexamples come from (Hypothesis prints how to reproduce them).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One JupyterLab and one Chromium page for every browser test (``tests/browser.py``);
    started only when a browser test asks for it."""
    from browser import browser_session

    with browser_session(tmp_path_factory.mktemp("browser")) as session:
        yield session


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last. Their session (one JupyterLab, one Playwright page) lives until
    the test session ends, and Playwright's sync API keeps an asyncio loop running in this
    thread meanwhile: a test after them would find a running loop (the stepper panel, for one,
    then defers its drawing to the loop, as it does in a kernel)."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))
