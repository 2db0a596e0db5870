"""``paxosbook sweep``: many seeded runs over a grid of configs, one CSV row per run.

    python -m paxosbook sweep --grid drop=0,0.1,0.2,0.3 --grid acceptors=3,5,7 --seeds 200 \\
        [--set proposers=2] [--executor local|process|dask[:ADDRESS]] --out results.csv

Without ``--out`` the rows go to stdout as CSV; with it, a table per config goes to stdout.
The progress bar is on stderr. Ctrl-C keeps (and saves) the finished rows and exits 130.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from typing import Any

import pandas as pd

from ..core import FormatError, UsageError
from ..experiments.grid import CONFIG_DTYPES, MAX_RUNS
from ..experiments.sweep import SweepInterrupted, sweep
from .args import FlagError, fail, report

PROG = "paxosbook sweep"
FLAGS = {"seeds": "--seeds", "executor": "--executor", "client": "--executor",
         "workers": "--workers", "chunksize": "--chunksize", "out": "--out",
         "resume": "--resume", "metrics": "--metrics", "grid": "--grid", "base": "--set",
         "quorums": "--grid q1,q2"}
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("sweep", help="run a grid of configs x seeds into a table",
                       description="Run every config of a grid with every seed; one row per "
                                   "run (config columns, seed, summary figures).")
    p.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2,...",
                   help="a config field and its values (repeat for a product); integer "
                        "fields also take A..B")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a config field held fixed for every run (not a column)")
    p.add_argument("--seeds", default="100", metavar="N",
                   help=f"seeds 0..N-1 (default 100; at most {MAX_RUNS:,} runs in all, grid "
                        "points x seeds)")
    p.add_argument("--metrics", metavar="A,B,...", help="summary figures to keep "
                   "(default decided, time_to_decision, ballots, messages_*, violations, unsafe)")
    p.add_argument("--executor", default="process", metavar="local|process|dask[:ADDRESS]",
                   help="this process, a pool over all cores (default), or Dask: a scheduler "
                        "at ADDRESS, else a local cluster")
    p.add_argument("--workers", metavar="N", help="processes for the process pool (default: "
                   "all cores)")
    p.add_argument("--chunksize", metavar="N", help="seeds per task (default: automatic)")
    p.add_argument("--out", metavar="FILE", help="save to FILE (.csv, or .parquet with pyarrow) "
                   "and what made it to FILE.sweep.json")
    p.add_argument("--resume", action="store_true",
                   help="keep the rows already in --out and run only the missing ones (refused "
                        "unless everything but --seeds is as FILE.sweep.json says)")
    p.add_argument("--validate", action="store_true",
                   help="validate every run against Paxos.tla (columns valid, rejected_at)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(main=main)


def _count(flag: str, text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise FlagError(flag, "a positive integer", text) from None


def _value(flag: str, name: str, text: str) -> Any:
    dtype = CONFIG_DTYPES[name]
    if dtype == "str":
        return text
    if dtype == "bool":
        if text.lower() not in TRUE + FALSE:
            raise FlagError(f"{flag} {name}", "true or false", text)
        return text.lower() in TRUE
    if dtype == "int64":
        try:
            return int(text)
        except ValueError:
            raise FlagError(f"{flag} {name}", "integers (or A..B)", text) from None
    try:
        value = float(text)
    except ValueError:
        raise FlagError(f"{flag} {name}", "numbers", text) from None
    if not math.isfinite(value):
        raise FlagError(f"{flag} {name}", "finite numbers", text)
    return value


def _field(flag: str, item: str) -> tuple[str, str]:
    name, eq, values = item.partition("=")
    name = name.strip().replace("-", "_")
    if not eq or not values:
        raise FlagError(flag, "FIELD=V1,V2,..." if flag == "--grid" else "FIELD=VALUE", item)
    if name not in CONFIG_DTYPES:
        raise FlagError(flag, "FIELD=... with FIELD one of " + ", ".join(CONFIG_DTYPES), item)
    return name, values


def parse_grid(items: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        name, text = _field("--grid", item)
        if name in grid:
            raise FlagError("--grid", f"each field once ({name} is given twice)", item)
        values: list[Any] = []
        for part in text.split(","):
            lo, dots, hi = part.partition("..")
            if dots and CONFIG_DTYPES[name] == "int64":
                a, b = _value("--grid", name, lo), _value("--grid", name, hi)
                if b < a or b - a > 10_000:
                    raise FlagError(f"--grid {name}", "A..B with A <= B", part)
                values.extend(range(a, b + 1))
            else:
                values.append(_value("--grid", name, part.strip()))
        grid[name] = values
    if not grid:
        raise FlagError("--grid", "given at least once, e.g. --grid drop=0,0.1,0.2", "nothing")
    return grid


def parse_set(items: list[str], grid: dict[str, list[Any]]) -> dict[str, Any]:
    base: dict[str, Any] = {}
    for item in items:
        name, text = _field("--set", item)
        if name in grid or name in base:
            raise FlagError("--set", f"fields not already given ({name} is)", item)
        base[name] = _value("--set", name, text)
    return base


def main(args: argparse.Namespace) -> int:
    flags = dict(FLAGS)
    try:
        grid = parse_grid(args.grid)
        base = parse_set(args.set, grid)
        flags.update({n: f"--grid {n}" for n in grid} | {n: f"--set {n}" for n in base})
        seeds = _count("--seeds", args.seeds)
        metrics = [m.strip() for m in args.metrics.split(",")] if args.metrics else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SweepInterrupted)
            results = sweep(grid, seeds if seeds is not None else 100, metrics, base=base,
                            executor=args.executor, workers=_count("--workers", args.workers),
                            chunksize=_count("--chunksize", args.chunksize),
                            progress=not args.no_progress, out=args.out, resume=args.resume,
                            validate=args.validate)
    except (UsageError, FlagError) as exc:
        report(exc, flags, PROG)
    except FormatError as exc:
        fail(f"{PROG}: --resume: {exc}")
    for w in caught:
        print(f"{PROG}: {w.message}", file=sys.stderr)
    if args.out is None:
        results.to_csv(sys.stdout, index=False)
    else:
        print(f"{PROG}: wrote {len(results)} rows to {args.out}", file=sys.stderr)
        print(overview(results, list(grid)).to_string(index=False))
    return 130 if results.attrs.get("missing") else 0


def overview(results: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One line per config: runs, share decided, mean time, ballots and messages, and the runs
    with violations (for the figures the sweep kept)."""
    if "violations" in results.columns:
        results = results.assign(violated=results["violations"] > 0)
    aggregations = {"runs": ("seed", "size")}
    for name, column, how in (("decided", "decided", "mean"),
                              ("time", "time_to_decision", "mean"),
                              ("ballots", "ballots", "mean"),
                              ("messages", "messages_sent", "mean"),
                              ("violated", "violated", "sum"),
                              ("valid", "valid", "mean")):
        if column in results.columns:
            aggregations[name] = (column, how)
    table = results.groupby(columns, sort=False).agg(**aggregations).reset_index()
    return table.round(3)
