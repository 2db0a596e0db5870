"""``sweep``: many seeded runs of many configs, into one tidy DataFrame.

Theory of operation. The grid is expanded and every point built into a ``Config`` first, so a
bad grid fails before any run. Each config's seeds are cut into chunks (``Task``); an executor
runs them wherever it runs them and hands back only rows of figures. The rows are then sorted by
config (grid order) and seed, which is why the result is the same, row for row, whichever
executor, worker count or chunk size produced it: a run depends on its config and seed alone.

An interrupt (Ctrl-C, or the notebook's stop button) ends the sweep early: the rows already
finished are returned (and saved, if ``out`` is given) and a ``SweepInterrupted`` warning says
how many are missing; ``resume=True`` later runs only those.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import warnings
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from ..config import Config
from ..core import FormatError, UsageError
from .executors import executor_for, parse_executor
from .grid import Grid, Point, check_size, expand, normal_key, normal_seeds
from .record import mismatch, record
from .runner import Done, Metrics, MetricSource, Task, normal_metrics
from .store import (
    RECORD_ATTR,
    check_writable,
    coerce,
    file_format,
    load,
    load_meta,
    meta_path,
    save,
)

MAX_CHUNK = 200
"""Largest number of seeds in one task (auto chunking)."""


class SweepInterrupted(UserWarning):
    """The sweep was interrupted; the rows finished so far were kept."""


def sweep(grid: Grid, seeds: int | Iterable[int], metrics: Metrics = None, *,
          base: Config | Mapping[str, Any] | None = None, executor: str = "process",
          client: Any = None, workers: int | None = None, chunksize: int | None = None,
          progress: bool = True, keep_runs: bool = False,
          out: str | os.PathLike[str] | None = None, resume: bool = False,
          validate: bool = False) -> pd.DataFrame:
    """Run every config of ``grid`` with every seed; one row per (config, seed).

    ``grid`` maps scalar ``Config`` fields to lists of values (cartesian product; a list of
    such mappings is the union of their products); fields not in the grid come from ``base``
    (a ``Config`` or a mapping of fields; default ``Config()``). ``seeds`` is a count ``n``
    (seeds ``0..n-1``) or an iterable of distinct seeds.

    Columns: the grid's fields (as the config holds them), ``seed``, then the metrics: by
    default the run summary's ``decided``, ``time_to_decision`` (NaN if undecided),
    ``ballots``, ``messages_sent/delivered/dropped/duplicated``, ``violations`` (a count) and
    ``unsafe`` (left out when the grid varies the config flag ``unsafe``). ``metrics`` may
    list other summary figures, or map column names to a figure or to a function of the
    ``Run`` (for ``executor="process"`` it must be picklable, i.e. defined at module or
    notebook top level). Rows are sorted by config in grid order, then seed;
    ``result.attrs["missing"]`` counts rows an interrupt left out.

    ``executor``: ``"local"`` (this process), ``"process"`` (a pool of ``workers`` processes,
    default all cores) or ``"dask"`` with ``client`` a ``distributed.Client`` or a scheduler
    address (``"dask:ADDRESS"`` works too; with neither, the current default client or a
    temporary local cluster). ``chunksize`` seeds go to a worker at a time (default: about
    eight chunks per worker). ``progress`` shows a tqdm bar (if tqdm is installed).
    ``keep_runs`` adds a ``run`` column holding each ``Run`` (traces and all: memory then
    grows with the sweep). ``out`` saves the result (CSV, or Parquet with pyarrow) and, beside
    it, ``out`` + ``.sweep.json``, a record of the grid, fixed fields and metrics it was made
    from (``record``); ``resume=True`` first reads ``out`` and runs only the rows it does not
    have yet, and refuses (``UsageError``) a sweep that differs from that record in anything but
    the seeds. A file without a record (saved by an older paxosbook) is matched by its grid
    columns and seeds alone, with a warning.

    ``validate=True`` validates every run against Lamport's spec (``check.validate``) and adds
    the columns ``valid`` (bool) and ``rejected_at`` (the index of the event refused, or
    missing).

    At most ``MAX_RUNS`` (1,000,000) runs, grid points x seeds. Raises ``UsageError`` before
    any run for a bad grid, seed list, metric or option, a sweep over ``MAX_RUNS`` or an
    ``out`` that cannot be written.
    """
    plan = _Plan.make(grid, seeds, metrics, base, executor, client, workers, chunksize, out,
                      resume, keep_runs, validate)
    have = plan.resumed()
    done: list[Done] = []
    interrupted = False
    with executor_for(plan.kind, workers=plan.workers, client=plan.client) as backend:
        tasks = plan.tasks(have, backend.parallelism)
        with _progress_bar(sum(len(t.seeds) for t in tasks), progress) as bar:
            try:
                for finished in backend.run(tasks):
                    done.append(finished)
                    bar(len(finished.rows))
            except KeyboardInterrupt:
                interrupted = True
    result = plan.assemble(have, done)
    total = len(plan.points) * len(plan.seeds)
    result.attrs["missing"] = total - len(result)
    result.attrs[RECORD_ATTR] = json.dumps(plan.record, ensure_ascii=False)
    if plan.out is not None:
        save(result, plan.out)
    if interrupted:
        where = (f"; saved to {os.fspath(plan.out)}, sweep again with resume=True to run only "
                 "the missing ones" if plan.out is not None else "")
        warnings.warn(f"sweep interrupted: kept {len(result)} of {total} rows, "
                      f"{total - len(result)} missing{where}", SweepInterrupted, stacklevel=2)
    return result


class _Plan:
    """A validated sweep: points, seeds, metrics, executor, chunking, output."""

    def __init__(self, columns: list[str], points: list[Point], seeds: list[int],
                 metrics: tuple[tuple[str, MetricSource], ...], kind: str, client: Any,
                 workers: int, chunksize: int | None, out: Path | None, resume: bool,
                 keep_runs: bool) -> None:
        self.columns, self.points, self.seeds, self.metrics = columns, points, seeds, metrics
        self.kind, self.client, self.workers, self.chunksize = kind, client, workers, chunksize
        self.out, self.resume, self.keep_runs = out, resume, keep_runs
        self.order = {p.key: p.index for p in points}
        self.record = record(columns, points, self.metric_columns)

    @classmethod
    def make(cls, grid: Grid, seeds: int | Iterable[int], metrics: Metrics,
             base: Config | Mapping[str, Any] | None, executor: str, client: Any,
             workers: int | None, chunksize: int | None, out: str | os.PathLike[str] | None,
             resume: bool, keep_runs: bool, validate: bool = False) -> _Plan:
        columns, points = expand(grid, base)
        seed_list = normal_seeds(seeds)
        check_size(points, seed_list)
        pairs = normal_metrics(metrics)
        if metrics is None:  # a grid field shadows the summary figure of the same name
            pairs = tuple(p for p in pairs if p[0] not in columns)
        pairs += _validation_metrics(validate, pairs)
        clash = sorted(set(columns) & {c for c, _ in pairs})
        if clash:
            raise UsageError("metrics", "column names other than the grid's fields", clash)
        kind, dask_client = parse_executor(executor, client)
        if workers is None:
            workers = os.cpu_count() or 1
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise UsageError("workers", "a positive integer", workers)
        if chunksize is not None and (isinstance(chunksize, bool)
                                      or not isinstance(chunksize, int) or chunksize < 1):
            raise UsageError("chunksize", "a positive integer or None", chunksize)
        for name, flag in (("resume", resume), ("keep_runs", keep_runs)):
            if not isinstance(flag, bool):
                raise UsageError(name, "true or false", flag)
        if resume and out is None:
            raise UsageError("resume", "used with out= (the results file to resume)", resume)
        path = None
        if out is not None:
            file_format(out, "out")
            check_writable(out, "out")
            path = Path(out)
        if kind == "process":
            _check_picklable(pairs)
        return cls(columns, points, seed_list, pairs, kind, dask_client, workers, chunksize,
                   path, resume, keep_runs)

    @property
    def metric_columns(self) -> list[str]:
        return [c for c, _ in self.metrics]

    @property
    def all_columns(self) -> list[str]:
        return [*self.columns, "seed", *self.metric_columns]

    def resumed(self) -> pd.DataFrame | None:
        """Rows of this sweep already in ``out`` (``resume=True``), else ``None``."""
        if not self.resume or self.out is None or not self.out.exists():
            return None
        made_by = load_meta(self.out)
        if made_by is None:
            warnings.warn(f"{self.out} has no record of what it was made from "
                          f"({meta_path(self.out)}): resumed by its grid columns and seeds "
                          "alone, the fixed fields and metrics unchecked", UserWarning,
                          stacklevel=3)
        else:
            different = mismatch(made_by, self.record, self.out)
            if different is not None:
                raise different
        old = load(self.out)
        missing = [c for c in self.all_columns if c not in old.columns]
        if missing:
            raise FormatError(f"{self.out}: cannot resume this sweep from it: it lacks the "
                              f"columns {missing}")
        keys = old[self.columns].itertuples(index=False, name=None)
        index = [self.order.get(tuple(normal_key(v) for v in k), -1) for k in keys]
        wanted = set(self.seeds)
        keep = [i >= 0 and s in wanted for i, s in zip(index, old["seed"].tolist(), strict=True)]
        rows = old.loc[keep, self.all_columns].drop_duplicates(subset=[*self.columns, "seed"])
        dropped = len(old) - len(rows)
        if dropped:
            warnings.warn(f"{dropped} rows of {self.out} are not in this sweep (or repeat "
                          "others) and are not kept", UserWarning, stacklevel=3)
        return rows.reset_index(drop=True)

    def tasks(self, have: pd.DataFrame | None, parallelism: int) -> list[Task]:
        """The runs still to do, cut into tasks of ``chunksize`` seeds of one config (default:
        about eight tasks per worker, at most ``MAX_CHUNK`` seeds)."""
        done: dict[int, set[int]] = {}
        if have is not None:
            keys = have[self.columns].itertuples(index=False, name=None)
            for k, s in zip(keys, have["seed"].tolist(), strict=True):
                done.setdefault(self.order[tuple(normal_key(v) for v in k)], set()).add(s)
        todo = [(p, [s for s in self.seeds if s not in done.get(p.index, ())])
                for p in self.points]
        total = sum(len(s) for _, s in todo)
        size = self.chunksize or max(1, min(MAX_CHUNK, math.ceil(total / (8 * parallelism))))
        return [Task(p.index, p.config, tuple(seeds[i:i + size]), self.metrics, self.keep_runs)
                for p, seeds in todo for i in range(0, len(seeds), size)]

    def assemble(self, have: pd.DataFrame | None, done: list[Done]) -> pd.DataFrame:
        """One frame of the resumed and the new rows, sorted by config order, then seed."""
        records: list[tuple[Any, ...]] = []
        order: list[int] = []
        runs: list[Any] = []
        for d in done:
            key = self.points[d.index].key
            records.extend((*key, *row) for row in d.rows)
            order.extend([d.index] * len(d.rows))
            if d.runs is not None:
                runs.extend(d.runs)
        frame = pd.DataFrame.from_records(records, columns=self.all_columns)
        if self.keep_runs:
            frame["run"] = pd.Series(runs, dtype=object)
        if have is not None and len(have):
            old = have.copy()
            keys = old[self.columns].itertuples(index=False, name=None)
            order = [self.order[tuple(normal_key(v) for v in k)] for k in keys] + order
            if self.keep_runs:
                old["run"] = None
            frame = pd.concat([coerce(old), coerce(frame)], ignore_index=True) if len(frame) \
                else old
        frame.insert(0, "_order", order)
        frame = frame.sort_values(["_order", "seed"], kind="stable").drop(columns="_order")
        return coerce(frame.reset_index(drop=True))


def _validation_metrics(validate: bool, pairs: tuple[tuple[str, MetricSource], ...]
                        ) -> tuple[tuple[str, MetricSource], ...]:
    """The ``valid`` and ``rejected_at`` columns, if ``validate``."""
    if not isinstance(validate, bool):
        raise UsageError("validate", "true or false", validate)
    if not validate:
        return ()
    taken = sorted({c for c, _ in pairs} & {"valid", "rejected_at"})
    if taken:
        raise UsageError("metrics", "column names other than valid and rejected_at with "
                         "validate=True", taken)
    from ..check.refinement import is_valid, rejected_at

    return (("valid", is_valid), ("rejected_at", rejected_at))


def _check_picklable(metrics: tuple[tuple[str, MetricSource], ...]) -> None:
    for column, source in metrics:
        if isinstance(source, str):
            continue
        try:
            pickle.dumps(source)
        except (pickle.PicklingError, AttributeError, TypeError):
            raise UsageError(f"metrics.{column}", "a function defined at module (or notebook) "
                             "top level, which the process pool can send to its workers; use "
                             "executor='local' or 'dask' for a lambda or closure",
                             source) from None


@contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator[Any]:
    """A callable ``update(n)`` backed by ``tqdm.auto`` when enabled and installed."""
    bar = None
    if enabled and total:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            bar = tqdm(total=total, unit="run", desc="sweep", smoothing=0.1)
    try:
        yield (bar.update if bar is not None else (lambda n: None))
    finally:
        if bar is not None:
            bar.close()
