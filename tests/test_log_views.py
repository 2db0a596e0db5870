"""The replica-log view and the comparison widget, checked against the runs themselves."""

from __future__ import annotations

import numpy as np
import pytest

import paxosbook as pb
from paxosbook.config import Crash
from paxosbook.core import Ballot
from paxosbook.core.log import LearnSlot
from paxosbook.replication import STRATEGIES, LogConfig, LogRun, Strategy, compare, run_log
from paxosbook.views import style
from paxosbook.views.log import (
    divergent_slots,
    log_table,
    replica_log,
    slot_sequence,
    slot_trace,
)
from paxosbook.widgets.compare import Compare


def hand_run(learns):
    """A LogRun from learn records ``(replica, slot, value)``: every case under control."""
    records = [(float(i), "learn", node, "", LearnSlot(slot, value, Ballot(1, 1)), -1, -1, "")
               for i, (node, slot, value) in enumerate(learns)]
    return LogRun(Strategy.PAXOS, LogConfig(), 0, records, "quiescent")


def cells(fig, col=0):
    """(z, text) of the grid of subplot ``col``."""
    grids = [t for t in fig.data if t.type == "heatmap" and t.text is not None]
    return np.asarray(grids[col].z), grids[col].text


def test_grid_shows_each_replica_s_commands_empty_slots_and_divergence():
    run = hand_run([("r1", 0, "add"), ("r2", 0, "jmp"), ("r1", 1, "cmp"), ("r3", 2, "sub")])
    table = log_table(run)
    assert table.loc["r1"].tolist() == ["add", "cmp", "", ""]
    assert table.loc["r3"].tolist() == ["", "", "sub", ""]
    assert divergent_slots(run) == [0]
    fig = replica_log(run)
    z, text = cells(fig)
    assert [list(row) for row in text] == table.values.tolist()
    assert (z[table.values == ""] == 0).all() and (z[table.values != ""] > 0).all()
    frames = [s for s in fig.layout.shapes if s.line.color == style.VIOLATION_COLOR]
    assert [(s.x0, s.x1) for s in frames] == [(-0.5, 0.5)]
    # r3's slot 2 is learned but waits for slots 0 and 1: washed out
    wash = next(t for t in fig.data if t.type == "heatmap" and t.text is None)
    assert np.nansum(np.asarray(wash.z, dtype=float)) == 1 and wash.z[2][2] == 1


def test_same_command_same_colour_in_every_grid():
    runs = {s.title: run_log(s, LogConfig(), 1) for s in STRATEGIES}
    fig = replica_log(runs)
    grids = [t for t in fig.data if t.type == "heatmap" and t.text is not None]
    assert len(grids) == len(STRATEGIES)
    scales = {tuple(map(tuple, g.colorscale)) for g in grids}
    assert len(scales) == 1  # one palette, one code per command
    for run, grid in zip(runs.values(), grids, strict=True):
        assert [list(r) for r in grid.text] == log_table(run).values.tolist()
    assert sum(1 for a in fig.layout.annotations if "inconsistent" in a.text) == sum(
        1 for r in runs.values() if not r.consistent)


def test_crashed_replica_is_marked():
    run = run_log("paxos", LogConfig(crashes=(Crash("r2", 0.5),)), 0)
    fig = replica_log(run)
    assert list(fig.layout.yaxis.ticktext) == ["r1", "✕ r2", "r3"]


def test_slot_trace_and_its_sequence_diagram():
    run = run_log("paxos", LogConfig(), 0)
    one = slot_trace(run, 2)
    assert set(one.slot) <= {2, -1}
    assert set(one[one.slot == -1].event.astype(str)) <= {"start", "crash", "recover",
                                                          "partition_start", "partition_end"}
    assert len(one[one.event == "learn"]) == 3
    assert slot_trace(run, None) is run.trace
    fig = slot_sequence(run, 2)
    assert "slot 2" in fig.layout.title.text
    with pytest.raises(pb.UsageError, match="slot"):
        slot_trace(run, -3)
    with pytest.raises(pb.UsageError, match="runs"):
        replica_log([])


# -- the widget -----------------------------------------------------------------------------------
def test_compare_widget_table_is_compare():
    c = Compare(seed=2)
    expected = compare(LogConfig(), seed=2)
    assert c.frame.equals(expected)
    assert c.message.value == "" and "<table" in c.table.value
    assert len([t for t in c.logs.data if t.type == "heatmap"]) == 2 * len(STRATEGIES)


def test_compare_widget_one_set_of_faults_drives_every_strategy():
    c = Compare()
    c.set(drop=0.1, crash="r1", crash_at=1.0, seed=5)
    config = LogConfig(drop=0.1, crashes=(Crash("r1", 1.0),))
    assert c.config == config
    assert c.frame.equals(compare(config, seed=5))
    assert c.frame.set_index("strategy").loc["sequencer", "blocked"]


def test_compare_widget_refuses_impossible_settings_inline():
    c = Compare()
    c.crash.value = "r2"
    before = c.frame.copy()
    c.crash_at.value = -1.0
    assert "crash at: must be a number in [0" in c.message.value
    assert "Traceback" not in c.message.value and c.frame.equals(before)
    c.crash_at.value = 3.0
    assert c.message.value == ""
    c.set(replicas=1)  # two primaries need two replicas: that row says so, the rest run
    assert c.crash.value == "none" and "r2" not in c.crash.options
    row = c.frame.set_index("strategy").loc["multi-primary"]
    assert row.committed != row.committed and "at least 2" in row.note  # NaN: did not run
    assert c.frame.set_index("strategy").loc["paxos", "committed"] == 4
    with pytest.raises(pb.UsageError, match="controls"):
        c.set(speed=3)
