"""What a sweep's results file was made from, so that resuming it with anything else is refused.

A results file holds one row per (config, seed) but only the grid's fields as columns; the
fields held fixed (``base``, ``--set``) are not in it. ``sweep(out=...)`` therefore writes a
record beside the file (``store.meta_path``): the grid's columns and points, the fixed fields of
the first point's config, the metric columns, and a sha256 of every point's whole config (which
catches a difference in a derived field that the rest does not show). ``sweep`` keeps it in
``result.attrs["sweep"]`` too, so ``save(result, FILE)`` writes it. ``resume=True`` compares
the record with the sweep asked for and refuses, naming the first difference, unless everything
but the seeds matches.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from ..core import UsageError
from .grid import Point
from .store import META_SCHEMA

VERSION = 1


def record(columns: list[str], points: Sequence[Point], metrics: list[str]) -> dict[str, Any]:
    """The record of a sweep of ``points`` (grid ``columns``) keeping ``metrics``, in its JSON
    form (lists, not tuples), as ``store.load_meta`` reads it back."""
    configs = "\n".join(repr(p.config) for p in points)
    fixed = {k: v for k, v in points[0].config.as_dict().items() if k not in columns}
    doc = {"schema": META_SCHEMA, "version": VERSION, "columns": columns,
           "points": [list(p.key) for p in points], "fixed": fixed, "metrics": metrics,
           "configs": hashlib.sha256(configs.encode()).hexdigest()}
    normal: dict[str, Any] = json.loads(json.dumps(doc))
    return normal


def mismatch(old: dict[str, Any], new: dict[str, Any],
             out: str | os.PathLike[str]) -> UsageError | None:
    """The error naming the first thing in which the sweep ``new`` differs from the one that
    made ``out`` (record ``old``), or ``None`` when only the seeds may differ."""
    where = f"as in {os.fspath(out)} to resume it (everything but the seeds must match)"
    if old.get("columns") != new["columns"]:
        return UsageError("grid", f"the grid fields {_listed(old.get('columns'))} {where}",
                          _listed(new["columns"]))
    if old.get("points") != new["points"]:
        return _grid_mismatch(old, new, where)
    fixed: dict[str, Any] = old["fixed"] if isinstance(old.get("fixed"), dict) else {}
    for name in dict.fromkeys([*fixed, *new["fixed"]]):
        if fixed.get(name) != new["fixed"].get(name):
            return UsageError("base", f"{_setting(name, fixed.get(name))} {where}",
                              _setting(name, new["fixed"].get(name)))
    if old.get("metrics") != new["metrics"]:
        return UsageError("metrics", f"{_listed(old.get('metrics'))} {where}",
                          _listed(new["metrics"]))
    if old.get("configs") != new["configs"]:
        return UsageError("base", f"the configs of the sweep in {os.fspath(out)} (same grid and "
                          "fixed fields, but a derived field differs: made by another "
                          "paxosbook?)", "other configs")
    return None


def _grid_mismatch(old: dict[str, Any], new: dict[str, Any], where: str) -> UsageError:
    old_points: list[Any] = old["points"] if isinstance(old.get("points"), list) else []
    for i, name in enumerate(new["columns"]):
        was = _values(old_points, i)
        now = _values(new["points"], i)
        if was != now:
            return UsageError("grid", f"{name}={_listed(was)} {where}",
                              f"{name}={_listed(now)}")
    return UsageError("grid", f"the {len(old_points)} grid points {where}",
                      f"{len(new['points'])} other points")


def _values(points: list[Any], i: int) -> list[Any]:
    """The distinct values of column ``i``, in order of appearance."""
    return list(dict.fromkeys(p[i] for p in points if isinstance(p, list) and len(p) > i))


def _listed(values: Any) -> str:
    return ",".join(str(v) for v in values) if isinstance(values, list) else repr(values)


def _setting(name: str, value: Any) -> str:
    return f"{name}={json.dumps(value)}"
