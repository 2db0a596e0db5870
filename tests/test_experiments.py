"""Sweeps: same rows whichever executor, bad input before any run, save/load/resume, interrupt,
and the ``paxosbook sweep`` command."""

from __future__ import annotations

import dataclasses
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
    parquet_available,
    save,
    sweep,
)

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
    sweep({"drop": [0.2], "proposers": [1, 2]}, 5, executor="local", out=out, progress=False)
    ran = []
    real = runner.run_task
    monkeypatch.setattr("paxosbook.experiments.executors.run_task",
                        lambda task: ran.extend(task.seeds) or real(task))
    got = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    pd.testing.assert_frame_equal(got, reference)
    assert len(ran) == len(reference) - 2 * 5
    pd.testing.assert_frame_equal(load(out), reference)
    ran.clear()
    again = sweep(GRID, SEEDS, executor="local", out=out, resume=True, progress=False)
    assert ran == []
    pd.testing.assert_frame_equal(again, reference)


def test_resume_from_a_file_without_the_needed_columns_is_refused(tmp_path):
    out = tmp_path / "r.csv"
    pd.DataFrame({"drop": [0.1], "seed": [0]}).to_csv(out, index=False)
    from paxosbook import FormatError

    with pytest.raises(FormatError, match=r"lacks the columns \['proposers'"):
        sweep(GRID, 2, executor="local", out=out, resume=True, progress=False)


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


@pytest.mark.parametrize(("argv", "line"), [
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
