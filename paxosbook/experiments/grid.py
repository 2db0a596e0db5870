"""Grids and seeds: what a sweep runs, checked completely before anything runs.

A grid maps scalar ``Config`` fields to lists of values; the sweep runs the cartesian product,
in the order the fields and values are given (the last field varies fastest). A list of such
mappings is the union of their products, in order. Every point is built into a ``Config`` here,
so an unknown field, an empty list or an out-of-range value raises ``UsageError`` (naming the
field, the allowed range and the value given) before the first run starts.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from ..config import Config
from ..core import UsageError
from ..validation import MAX_SEED

SCALAR_TYPES = {"int": "int64", "float": "float64", "float | None": "float64", "bool": "bool",
                "str": "str"}
CONFIG_DTYPES: dict[str, str] = {f.name: SCALAR_TYPES[str(f.type)] for f in fields(Config)
                                 if str(f.type) in SCALAR_TYPES}
"""Config fields a grid may vary, with the pandas dtype of their column."""

MAX_RUNS = 1_000_000
"""Most runs one sweep may hold (grid points x seeds), so a typo cannot ask for a list of a
billion seeds or hours of work: a million runs of the default config take about six minutes on
one core (benchmarks/bench_sweep.py measures the rate) and a few hundred MB of rows."""

Grid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Sequence[Any]]]


@dataclass(frozen=True)
class Point:
    """One grid point: its position in the sweep's order and the config it stands for."""

    index: int
    config: Config
    key: tuple[Any, ...]
    """The values of the grid columns (read back from the config, so normalised)."""


def _as_base(base: Config | Mapping[str, Any] | None) -> Config:
    if base is None:
        return Config()
    if isinstance(base, Config):
        return base
    if isinstance(base, Mapping):
        return Config.from_dict(dict(base))
    raise UsageError("base", "a Config, a mapping of config fields or None", base)


def _values(name: str, values: Any) -> list[Any]:
    if name not in CONFIG_DTYPES:
        allowed = "scalar config fields: " + ", ".join(CONFIG_DTYPES)
        raise UsageError("grid", allowed, name)
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise UsageError(f"grid.{name}", "a non-empty list of values", values)
    out = list(itertools.islice(values, MAX_RUNS + 1))
    if not out:
        raise UsageError(f"grid.{name}", "a non-empty list of values", out)
    if len(out) > MAX_RUNS:
        raise UsageError(f"grid.{name}", f"at most {MAX_RUNS:,} values (MAX_RUNS)",
                         f"more than {MAX_RUNS:,}")
    return [v.item() if hasattr(v, "item") else v for v in out]  # numpy scalars -> Python


def normal_key(value: Any) -> Any:
    """A hashable, NaN-free form of a column value (so saved and fresh rows match)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def expand(grid: Grid, base: Config | Mapping[str, Any] | None = None
           ) -> tuple[list[str], list[Point]]:
    """The grid's column names and its points, each validated by building its ``Config``.

    Raises ``UsageError`` for an unknown or non-scalar field, an empty or non-list value, a
    value its ``Config`` rejects (the error gets a note naming the grid point) or a point that
    appears twice.
    """
    base_config = _as_base(base)
    if isinstance(grid, Mapping):
        parts: list[Mapping[str, Any]] = [grid]
    elif isinstance(grid, Sequence) and not isinstance(grid, (str, bytes)) and grid:
        parts = list(grid)
    else:
        raise UsageError("grid", "a mapping of config fields to lists of values (or a "
                         "non-empty list of such mappings)", grid)
    columns: list[str] = []
    products: list[tuple[list[str], list[list[Any]]]] = []
    for part in parts:
        if not isinstance(part, Mapping) or not part:
            raise UsageError("grid", "non-empty mappings of config fields to lists", part)
        names = list(part)
        products.append((names, [_values(n, part[n]) for n in names]))
        columns.extend(n for n in names if n not in columns)
    size = sum(math.prod(len(v) for v in lists) for _, lists in products)
    if size > MAX_RUNS:
        raise UsageError("grid", f"at most {MAX_RUNS:,} points (MAX_RUNS)", f"{size:,} points")
    combos = [dict(zip(names, combo, strict=True))
              for names, lists in products for combo in itertools.product(*lists)]
    points: list[Point] = []
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for combo in combos:
        try:
            config = base_config.replace(**combo)
        except UsageError as exc:
            exc.add_note(f"in grid point {combo}")
            raise
        key = tuple(normal_key(getattr(config, c)) for c in columns)
        if key in seen:
            raise UsageError("grid", "distinct points (each config at most once)", combo)
        seen[key] = combo
        points.append(Point(len(points), config, key))
    return columns, points


def normal_seeds(seeds: int | Iterable[int]) -> list[int]:
    """``seeds`` as a sorted list: a count ``n`` means seeds ``0 .. n-1``."""
    if isinstance(seeds, bool):
        raise UsageError("seeds", "a positive count or a non-empty list of seeds", seeds)
    if isinstance(seeds, int):
        if seeds > MAX_RUNS:
            raise UsageError("seeds", f"a count in [1, {MAX_RUNS:,}] (MAX_RUNS, the most runs "
                             "a sweep holds)", seeds)
        if seeds < 1:
            raise UsageError("seeds", "a positive count or a non-empty list of seeds", seeds)
        return list(range(seeds))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise UsageError("seeds", "a positive count or a non-empty list of seeds", seeds)
    out = [s.item() if hasattr(s, "item") else s
           for s in itertools.islice(seeds, MAX_RUNS + 1)]
    if len(out) > MAX_RUNS:
        raise UsageError("seeds", f"at most {MAX_RUNS:,} seeds (MAX_RUNS, the most runs a "
                         "sweep holds)", f"more than {MAX_RUNS:,}")
    for s in out:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < MAX_SEED:
            raise UsageError("seeds", "integers in [0, 2**63)", s)
    if not out:
        raise UsageError("seeds", "a positive count or a non-empty list of seeds", out)
    if len(set(out)) != len(out):
        dupes = sorted(s for s, n in Counter(out).items() if n > 1)
        raise UsageError("seeds", "distinct seeds", dupes)
    return sorted(out)


def check_size(points: Sequence[Point], seeds: Sequence[int]) -> None:
    """``UsageError`` when ``points`` x ``seeds`` is more than ``MAX_RUNS`` runs."""
    if len(points) * len(seeds) > MAX_RUNS:
        raise UsageError("seeds", f"at most {MAX_RUNS // len(points):,} for {len(points):,} grid "
                         f"points (MAX_RUNS: {MAX_RUNS:,} runs a sweep)", len(seeds))
