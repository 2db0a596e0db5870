"""The safety verdict of a run: every property, held or violated, as a small table."""

from __future__ import annotations

import pandas as pd

from ..properties import PROPERTIES
from ..trace import Run
from .tables import TextTable


def safety_verdict(run: Run) -> pd.DataFrame:
    """One row per safety property: whether it holds in ``run`` and, if not, why (a notebook
    shows each meaning and violation whole). A run that checks more (a real run's
    ``properties``) gets a row for each."""
    properties = getattr(run, "properties", PROPERTIES)
    broken: dict[str, list[str]] = {}
    for v in run.violations:
        broken.setdefault(v.property, []).append(v.message)
    return TextTable(pd.DataFrame({
        "property": [p.name for p in properties],
        "holds": ["no" if p.name in broken else "yes" for p in properties],
        "meaning": [p.description for p in properties],
        "violation": ["; ".join(broken.get(p.name, [])) for p in properties],
    }).set_index("property"))
