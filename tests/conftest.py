"""Test-wide settings.

Under CI (``CI`` set) Hypothesis is derandomized: every CI run explores the same examples, so a
red run is reproducible and a green one is not luck. Locally each run explores new examples,
which is where new counterexamples come from (Hypothesis prints how to reproduce them).
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
    settings.load_profile("ci")
