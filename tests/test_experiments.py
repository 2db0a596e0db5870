"""Sweeps: same rows whichever executor, bad input before any run, save/load/resume, interrupt,
and the ``paxosbook sweep`` command."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import pandas as pd
import pytest

import paxosbook.experiments.runner as runner
from paxosbook import Config, Summary, UsageError, simulate
from paxosbook.cli import main as cli
from paxosbook.experiments import (
    DEFAULT_METRICS,
    METRIC_DTYPES,
    SweepInterrupted,
    load,
    meta_path,
    parquet_available,
    save,
    sweep,
)
from paxosbook.experiments.grid import Point
from paxosbook.experiments.record import mismatch, record

GRID = {"drop": [0.0, 0.2], "proposers": [1, 2]}
SEEDS = 12


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return sweep(GRID, SEEDS, executor="local", progress=False)


def messages_over_ballots(run):  # module level: picklable for the process pool
    return run.summary().messages_sent / max(1, run.summary().ballots)


# -- the rows -----------------------------------------------------------------------------------
def test_rows_are_sorted_by_config_then_seed_with_the_summary_figures(reference):
    assert list(reference.columns) == ["drop", "proposers", "seed", *DEFAULT_METRICS]
    assert len(reference) == 2 * 2 * SEEDS
    keys = list(zip(reference["drop"], reference["proposers"], reference["seed"], strict=True))
    expected = [(d, p, s) for d in GRID["drop"] for p in GRID["proposers"] for s in range(SEEDS)]
    assert keys == expected
    assert reference.attrs["missing"] == 0
    for _, row in reference.sample(6, random_state=1).iterrows():
        config = Config(drop=float(row["drop"]), proposers=int(row["proposers"]))
        figures = simulate(config, int(row["seed"])).summary().as_dict()
        for name in DEFAULT_METRICS:
            want = figures[name]
            want = len(want) if name == "violations" else want
            got = row[name]
            if want is None:
                assert math.isnan(got)
            else:
                assert got == want, name


def test_metric_dtypes_cover_every_summary_figure():
    assert set(METRIC_DTYPES) == {f.name for f in dataclasses.fields(Summary)} - {"seed"}


def test_the_trace_digest_is_computed_only_when_asked_for():
    rows = sweep({"drop": [0.1]}, 3, ["decided", "trace_digest"], executor="local",
                 progress=False)
    digests = [simulate(Config(drop=0.1), s).trace_digest() for s in range(3)]
    assert rows["trace_digest"].tolist() == digests
    seen = []
    real = runner.Summary.of

    def spy(run):
        seen.append(run.trace_digest())
        return real(run)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner.Summary, "of", staticmethod(spy))
        sweep({"drop": [0.1]}, 3, executor="local", progress=False)
    assert seen == ["", "", ""]


# -- determinism across executors ----------------------------------------------------------------
def test_process_pool_and_any_chunking_give_the_same_frame(reference):
    for chunksize in (1, 5, None):
        got = sweep(GRID, SEEDS, executor="process", workers=2, chunksize=chunksize,
                    progress=False)
        pd.testing.assert_frame_equal(got, reference)
    local_chunks = sweep(GRID, SEEDS, executor="local", chunksize=7, progress=False)
    pd.testing.assert_frame_equal(local_chunks, reference)


def test_seed_order_given_does_not_matter(reference):
    shuffled = [7, 3, 11, 0, 5, 1, 9, 2, 10, 4, 8, 6]
    got = sweep(GRID, shuffled, executor="local", progress=False)
    pd.testing.assert_frame_equal(got, reference)


def test_rows_arriving_in_any_order_are_assembled_the_same(reference):
    from paxosbook.experiments.sweep import _Plan

    plan = _Plan.make(GRID, SEEDS, None, None, "local", None, 1, 3, None, False, False)
    done = [runner.run_task(t) for t in plan.tasks(None, 1)]
    pd.testing.assert_frame_equal(plan.assemble(None, done[::-1]), reference)


def test_dask_local_cluster_gives_the_same_frame(reference):
    pytest.importorskip("distributed")
    from paxosbook.experiments import local_dask

    with local_dask(workers=2) as client:
        got = sweep(GRID, SEEDS, executor="dask", client=client, chunksize=5, progress=False)
        address = client.scheduler.address
        by_address = sweep(GRID, SEEDS, executor=f"dask:{address}", progress=False)
    pd.testing.assert_frame_equal(got, reference)
    pd.testing.assert_frame_equal(by_address, reference)


def test_without_dask_the_executor_says_how_to_install_it(no_run, monkeypatch):
    from paxosbook.experiments import local_dask

    monkeypatch.setattr("paxosbook.experiments.executors.dask_available", lambda: False)
    hint = r'executor: must be local, process or dask\[:ADDRESS\] \(dask is not installed: ' \
           r'pip install "paxosbook\[dask\]"\)'
    for executor in ("dask", "dask:tcp://127.0.0.1:8786"):
        with pytest.raises(UsageError, match=hint):
            sweep({"drop": [0.1]}, 2, executor=executor, progress=False)
    with pytest.raises(UsageError, match=hint), local_dask():
        pass


def test_metric_functions_and_kept_runs():
    metrics = {"decided": "decided", "per_ballot": messages_over_ballots}
    local = sweep({"drop": [0.1]}, 4, metrics, executor="local", keep_runs=True,
                  progress=False)
    pooled = sweep({"drop": [0.1]}, 4, metrics, executor="process", workers=2, progress=False)
    pd.testing.assert_frame_equal(local.drop(columns="run"), pooled)
    for _, row in local.iterrows():
        assert row["run"].seed == row["seed"]
        assert row["run"].summary().decided == row["decided"]
    plain = sweep({"drop": [0.1]}, 4, executor="local", progress=False)
    assert "run" not in plain.columns


# -- bad input, before any run ------------------------------------------------------------------
@pytest.fixture
def no_run(monkeypatch):
    calls = []
    monkeypatch.setattr("paxosbook.experiments.executors.run_task",
                        lambda task: calls.append(task))
    yield
    assert not calls, "a run started although the sweep's input was bad"


@pytest.mark.parametrize(("grid", "seeds", "match"), [
    ({"dorp": [0.1]}, 3, r"grid: must be scalar config fields: .*; got 'dorp'"),
    ({"drop": []}, 3, r"grid.drop: must be a non-empty list of values; got \[\]"),
    ({"drop": 0.1}, 3, r"grid.drop: must be a non-empty list of values; got 0.1"),
    ({"drop": [0.0, 0.1, 1.5]}, 3, r"drop: must be a number in \[0.*1.*\); got 1.5"),
    ({"acceptors": [3, 0]}, 3, r"acceptors: must be an integer in \[1, 99\]; got 0"),
    ({"acceptors": [3], "q1": [4]}, 3, r"q1: must be an integer in \[0, 3\]; got 4"),
    ({"acceptors": [5], "q1": [2], "q2": [2]}, 3, r"quorums: must be intersecting"),
    ({"crashes": [()]}, 3, r"grid: must be scalar config fields"),
    ({"drop": [0.1, 0.1]}, 3, r"grid: must be distinct points"),
    ([], 3, r"grid: must be a mapping"),
    ({"drop": [0.1]}, 0, r"seeds: must be a positive count"),
    ({"drop": [0.1]}, [], r"seeds: must be a positive count"),
    ({"drop": [0.1]}, [1, 1], r"seeds: must be distinct seeds; got \[1\]"),
    ({"drop": [0.1]}, [-1], r"seeds: must be integers in \[0, 2\*\*63\); got -1"),
])
def test_bad_grids_and_seeds_fail_before_any_run(no_run, grid, seeds, match):
    with pytest.raises(UsageError, match=match):
        sweep(grid, seeds, executor="local", progress=False)


@pytest.mark.parametrize(("options", "match"), [
    ({"metrics": ["decided", "nope"]}, r"metrics: must be figures of the run summary"),
    ({"metrics": {"x": 3}}, r"metrics.x: must be figures of the run summary.*or a function"),
    ({"metrics": {"drop": "decided"}}, r"metrics: must be column names other than the grid"),
    ({"metrics": {"f": lambda run: 1}, "executor": "process"},
     r"metrics.f: must be a function defined at module"),
    ({"executor": "spark"}, r"executor: must be local, process or dask"),
    ({"executor": "local", "client": "tcp://x:1"}, r"client: must be given only with"),
    ({"workers": 0}, r"workers: must be a positive integer"),
    ({"chunksize": 0}, r"chunksize: must be a positive integer"),
    ({"out": "results.txt"}, r"out: must be a file named \*.csv"),
    ({"resume": True}, r"resume: must be used with out="),
])
def test_bad_options_fail_before_any_run(no_run, options, match):
    options = {"executor": "local", **options}
    with pytest.raises(UsageError, match=match):
        sweep({"drop": [0.1]}, 3, progress=False, **options)


def test_a_bad_value_names_its_grid_point(no_run):
    with pytest.raises(UsageError) as info:
        sweep({"acceptors": [5, 3], "q1": [3, 4]}, 2, executor="local", progress=False)
    assert info.value.field == "q1" and info.value.given == 4
    assert "in grid point {'acceptors': 3, 'q1': 4}" in info.value.__notes__


# -- save, load, resume, interrupt ---------------------------------------------------------------
def test_csv_round_trip_is_exact(reference, tmp_path):
    path = save(reference, tmp_path / "r.csv")
    pd.testing.assert_frame_equal(load(path), reference)
    gz = save(reference, tmp_path / "r.csv.gz")
    pd.testing.assert_frame_equal(load(gz), reference)


def test_parquet_round_trip(reference, tmp_path):
    if not parquet_available():
        with pytest.raises(UsageError, match=r"Parquet needs pyarrow"):
            save(reference, tmp_path / "r.parquet")
        return
    path = save(reference, tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(load(path), reference)


def test_resume_runs_only_the_missing_rows(reference, tmp_path, monkeypatch):
    out = tmp_path / "r.csv"
    sweep(GRID, 5, executor="local", out=out, progress=False)
    ran = []
    real = runner.run_task
    monkeypatch.setattr("paxosbook.experiments.executors.run_task",
                        lambda task: ran.extend(task.seeds) or real(task))
    got = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    pd.testing.assert_frame_equal(got, reference)
    assert sorted(ran) == sorted(list(range(5, SEEDS)) * 4)  # seeds 0..4 of each point were there
    pd.testing.assert_frame_equal(load(out), reference)
    ran.clear()
    again = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    assert ran == []
    pd.testing.assert_frame_equal(again, reference)


def test_resume_from_a_file_without_the_needed_columns_is_refused(tmp_path):
    out = tmp_path / "r.csv"
    pd.DataFrame({"drop": [0.1], "seed": [0]}).to_csv(out, index=False)
    from paxosbook import FormatError

    with pytest.raises(FormatError, match=r"lacks the columns \['proposers'"), \
            pytest.warns(UserWarning, match=r"no record of what it was made from"):
        sweep(GRID, 2, executor="local", out=out, resume=True, progress=False)


RESUMED_OTHERWISE = [
    ({"grid": {"drop": [0.0, 0.3], "proposers": [1, 2]}}, "grid",
     "drop=0.0,0.2 as in {out} to resume it (everything but the seeds must match)", "drop=0.0,0.3"),
    ({"grid": {"drop": [0.0, 0.2]}}, "grid", "the grid fields drop,proposers as in", "drop"),
    ({"base": {"acceptors": 5}}, "base", "acceptors=3 as in", "acceptors=5"),
    ({"base": {"delay_mean": 2.0}}, "base", "delay_mean=1.0 as in", "delay_mean=2.0"),
    ({"metrics": ["decided"]}, "metrics", "decided,time_to_decision,", "decided"),
]


@pytest.mark.parametrize(("change", "field", "allowed", "given"), RESUMED_OTHERWISE,
                         ids=["grid values", "grid fields", "set", "set derived", "metrics"])
def test_resume_refuses_a_sweep_that_differs_in_more_than_the_seeds(tmp_path, change, field,
                                                                    allowed, given):
    """Before: the rows of both configurations were mixed in one file, silently (the fixed
    fields are not columns, and a grid was matched row by row)."""
    out = tmp_path / "r.csv"
    sweep(GRID, 2, executor="local", out=out, progress=False)
    saved = out.read_bytes()
    options = {"grid": GRID, "base": None, "metrics": None, **change}
    with pytest.raises(UsageError) as info:
        sweep(options["grid"], 3, options["metrics"], base=options["base"], executor="local",
              out=out, resume=True, progress=False)
    assert info.value.field == field and info.value.given == given
    assert info.value.allowed.startswith(allowed.format(out=out))
    assert out.read_bytes() == saved


def test_a_difference_only_a_later_point_shows_is_caught_by_the_config_digest():
    """The fixed fields are read from the first point; a field that differs only at another
    point (a derived default, say) still changes the digest of every point's config."""
    first = Point(0, Config(drop=0.1), (0.1,))
    old = record(["drop"], [first, Point(1, Config(drop=0.2), (0.2,))], ["decided"])
    new = record(["drop"], [first, Point(1, Config(drop=0.2, timeout=5.0), (0.2,))],
                 ["decided"])
    assert mismatch(old, old, "r.csv") is None
    error = mismatch(old, new, "r.csv")
    assert error is not None and error.field == "base" and "derived field" in error.allowed


def test_save_writes_the_record_a_sweep_keeps_and_drops_a_stale_one(reference, tmp_path,
                                                                   no_run):
    """As notebook 05 does: ``save`` the rows, then resume from the file (nothing to run)."""
    out = tmp_path / "r.csv"
    save(reference, out)
    assert meta_path(out).exists()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        again = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    pd.testing.assert_frame_equal(again, reference)
    with pytest.raises(UsageError, match=r"grid: must be drop=0.0,0.2 as in"):
        sweep({"drop": [0.1], "proposers": [1, 2]}, SEEDS, executor="local", out=out,
              resume=True, progress=False)
    save(pd.DataFrame({"drop": [0.1], "seed": [0]}), out)
    assert not meta_path(out).exists()


def test_a_file_saved_without_a_record_is_still_resumed_with_a_warning(reference, tmp_path):
    out = tmp_path / "r.csv"
    sweep(GRID, 5, executor="local", out=out, progress=False)
    meta_path(out).unlink()
    with pytest.warns(UserWarning, match=r"no record of what it was made from"):
        got = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    pd.testing.assert_frame_equal(got, reference)
    assert meta_path(out).exists()


def test_an_unwritable_out_fails_before_any_run(no_run, tmp_path):
    with pytest.raises(UsageError, match=r"out: must be a file in an existing, writable folder; "
                                         r"got '/nonexistent/x.csv \(No such file"):
        sweep(GRID, 2, executor="local", out="/nonexistent/x.csv", progress=False)
    folder = tmp_path / "r.csv"
    folder.mkdir()
    with pytest.raises(UsageError, match=r"out: must be a file path, not a folder"):
        sweep(GRID, 2, executor="local", out=folder, progress=False)


def test_more_than_max_runs_fails_before_building_them(no_run, monkeypatch):
    """A count, an endless iterator of seeds, a grid, and points x seeds: each refused
    without building a list of that size (before: ``list(range(10**9))``, MemoryError)."""
    with pytest.raises(UsageError, match=r"seeds: must be a count in \[1, 1,000,000\] "
                                         r"\(MAX_RUNS"):
        sweep({"drop": [0.1]}, 10**9, executor="local", progress=False)
    with pytest.raises(UsageError, match=r"seeds: must be at most 1,000,000 seeds \(MAX_RUNS"):
        sweep({"drop": [0.1]}, itertools.count(), executor="local", progress=False)
    with pytest.raises(UsageError, match=r"grid: must be at most 1,000,000 points \(MAX_RUNS\)"
                                         r"; got '2,576,574 points'"):
        sweep({"acceptors": range(1, 100), "proposers": range(1, 27),
               "max_attempts": range(1001)}, 1, executor="local", progress=False)
    with pytest.raises(UsageError, match=r"seeds: must be at most 500,000 for 2 grid points"):
        sweep({"drop": [0.0, 0.1]}, 500_001, executor="local", progress=False)


def interrupt_after(n):
    calls = []

    def metric(run):
        calls.append(run.seed)
        if len(calls) > n:
            raise KeyboardInterrupt
        return len(calls)

    return metric


def test_an_interrupt_keeps_the_finished_rows_and_says_how_many_are_missing(reference,
                                                                             tmp_path):
    out = tmp_path / "r.csv"
    metrics = {m: m for m in DEFAULT_METRICS} | {"k": interrupt_after(10)}
    with pytest.warns(SweepInterrupted, match=r"kept 10 of 48 rows, 38 missing; saved to"):
        partial = sweep(GRID, SEEDS, metrics, executor="local", chunksize=1, out=out,
                        progress=False)
    assert len(partial) == 10 and partial.attrs["missing"] == 38
    assert len(load(out)) == 10
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        done = sweep(GRID, SEEDS, {m: m for m in DEFAULT_METRICS} | {"k": "decided"},
                     executor="local", out=out, resume=True, progress=False)
    pd.testing.assert_frame_equal(done.drop(columns="k"), reference)


# -- the command ---------------------------------------------------------------------------------
def test_cli_sweep_writes_the_same_rows(reference, tmp_path, capsys):
    out = tmp_path / "r.csv"
    status = cli(["sweep", "--grid", "drop=0,0.2", "--grid", "proposers=1..2", "--seeds",
                  str(SEEDS), "--executor", "local", "--out", str(out), "--no-progress"])
    assert status == 0
    pd.testing.assert_frame_equal(load(out), reference)
    table = capsys.readouterr()
    assert "wrote 48 rows" in table.err
    assert table.out.splitlines()[0].split() == ["drop", "proposers", "runs", "decided",
                                                 "time", "ballots", "messages", "violated"]


def test_cli_without_out_prints_csv(capsys):
    assert cli(["sweep", "--grid", "acceptors=3,5", "--set", "drop=0.1", "--seeds", "2",
                "--metrics", "decided,ballots", "--executor", "local", "--no-progress"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "acceptors,seed,decided,ballots" and len(lines) == 5


def test_cli_resume_with_more_seeds_and_refused_with_another_set(tmp_path, capsys):
    out = str(tmp_path / "r.csv")
    argv = ["sweep", "--grid", "drop=0,0.2", "--set", "proposers=2", "--executor", "local",
            "--no-progress", "--out", out]
    assert cli([*argv, "--seeds", "3"]) == 0
    assert cli([*argv, "--seeds", "5", "--resume"]) == 0
    assert len(load(out)) == 10
    capsys.readouterr()
    with pytest.raises(SystemExit) as info:
        cli(["sweep", "--grid", "drop=0,0.2", "--set", "proposers=3", "--executor", "local",
             "--no-progress", "--out", out, "--seeds", "6", "--resume"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.count("\n") == 1
    assert err.startswith(f"paxosbook sweep: --set: must be proposers=2 as in {out} to resume "
                          "it (everything but the seeds must match); got 'proposers=3'")
    assert len(load(out)) == 10


@pytest.mark.parametrize(("argv", "line"), [
    (["--grid", "drop=0", "--out", "/nonexistent/x.csv"],
     "paxosbook sweep: --out: must be a file in an existing, writable folder; "
     "got '/nonexistent/x.csv (No such file or directory)'"),
    (["--grid", "drop=0", "--seeds", "1000000000"],
     "paxosbook sweep: --seeds: must be a count in [1, 1,000,000] (MAX_RUNS, the most runs a "
     "sweep holds); got 1000000000"),
    (["--grid", "drop=0,0.1", "--seeds", "600000"],
     "paxosbook sweep: --seeds: must be at most 500,000 for 2 grid points (MAX_RUNS: "
     "1,000,000 runs a sweep); got 600000"),
    (["--grid", "drop=0,1.5"], "paxosbook sweep: --grid drop: must be a number in [0, 1); "
                               "got 1.5"),
    (["--grid", "dorp=0"], "paxosbook sweep: --grid: must be FIELD=... with FIELD one of "),
    (["--grid", "drop=0,x"], "paxosbook sweep: --grid drop: must be numbers; got 'x'"),
    (["--grid", "drop"], "paxosbook sweep: --grid: must be FIELD=V1,V2,...; got 'drop'"),
    (["--grid", "drop=0", "--seeds", "many"], "paxosbook sweep: --seeds: must be a positive "
                                              "integer; got 'many'"),
    (["--grid", "drop=0", "--seeds", "0"], "paxosbook sweep: --seeds: must be a positive count"),
    (["--grid", "drop=0", "--set", "colocated=maybe"],
     "paxosbook sweep: --set colocated: must be true or false; got 'maybe'"),
    (["--grid", "drop=0", "--set", "acceptors=0"],
     "paxosbook sweep: --set acceptors: must be an integer in [1, 99]; got 0"),
    (["--grid", "q1=1,2", "--grid", "q2=1,2", "--set", "acceptors=5"],
     "paxosbook sweep: --grid q1,q2: must be intersecting"),
    (["--grid", "drop=0", "--executor", "spark"],
     "paxosbook sweep: --executor: must be local, process or dask[:ADDRESS]; got 'spark'"),
    (["--grid", "drop=0", "--out", "r.txt"], "paxosbook sweep: --out: must be a file named"),
    (["--grid", "drop=0", "--metrics", "decided,nope"],
     "paxosbook sweep: --metrics: must be figures of the run summary"),
    ([], "paxosbook sweep: --grid: must be given at least once"),
])
def test_cli_bad_flags_exit_2_with_one_line(capsys, argv, line):
    with pytest.raises(SystemExit) as info:
        cli(["sweep", "--executor", "local", "--no-progress", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(line), err
