"""The safety verdict of a run: every property, held or violated, as a small table."""

from __future__ import annotations

import pandas as pd

from ..properties import PROPERTIES
from ..trace import Run
from .tables import TextTable


def safety_verdict(run: Run) -> pd.DataFrame:
    """One row per safety property: whether it holds in ``run`` and, if not, why (a notebook
    shows each meaning and violation whole)."""
    broken: dict[str, list[str]] = {}
    for v in run.violations:
        broken.setdefault(v.property, []).append(v.message)
    return TextTable(pd.DataFrame({
        "property": [p.name for p in PROPERTIES],
        "holds": ["no" if p.name in broken else "yes" for p in PROPERTIES],
        "meaning": [p.description for p in PROPERTIES],
        "violation": ["; ".join(broken.get(p.name, [])) for p in PROPERTIES],
    }).set_index("property"))
