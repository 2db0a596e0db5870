"""``ClusterPanel`` without a browser: its buttons clicked from Python on a real 5-node
cluster (127.0.0.1), each test bounded by the cluster's own duration. The verdicts come from
the merged run (its crash and recover events) and from /proc (no process left)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from test_net import processes_naming

from paxosbook.core import UsageError
from paxosbook.net.live import LiveCluster
from paxosbook.widgets import ClusterPanel

pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(),
                                reason="process checks read /proc")


def events_of(panel: ClusterPanel, node: str) -> list[str]:
    return [r[1] for r in panel.run.records if r[2] == node and r[1] in ("crash", "recover")]


def test_kill_marks_the_node_down_the_trace_shows_it_and_stop_leaves_no_process() -> None:
    panel = ClusterPanel(duration=20.0, every=0.2)
    assert all(b.disabled for b in panel.kill_buttons.values())  # not started yet
    panel.start_button.click()
    root = str(panel.cluster._root)
    try:
        assert len(processes_naming(root)) == 6  # the anchor and five nodes
        panel.kill_buttons["n3"].click()
        assert panel.cluster.down == {"n3"}
        assert panel.kill_buttons["n3"].disabled and not panel.restart_buttons["n3"].disabled
        assert not panel.kill_buttons["n2"].disabled
        assert events_of(panel, "n3") == ["crash"]  # in the merged trace at once
        assert "down: n3" in panel.status.value
        panel.restart_buttons["n3"].click()
        assert panel.cluster.down == set() and not panel.kill_buttons["n3"].disabled
    finally:
        panel.stop_button.click()
    run = panel.run
    assert processes_naming(root) == [] and not Path(root).exists()
    assert events_of(panel, "n3")[:1] == ["crash"] and run.kills == 1 and run.restarts == 1
    assert [c.node for c in run.config.crashes] == ["n3"]  # the kill made by hand, applied
    assert "stopped" in panel.status.value and panel.stop_button.disabled
    assert all(b.disabled for b in panel.kill_buttons.values())
    assert run.violations == []


def test_the_panel_redraws_by_itself_and_the_cluster_stops_at_its_duration() -> None:
    panel = ClusterPanel(duration=1.0, every=0.1).start()
    root = str(panel.cluster._root)
    run = panel.wait()  # nobody calls refresh: the panel's own thread draws the end
    assert "stopped" in panel.status.value and "decided" in panel.status.value
    sent = sum(1 for r in run.records if r[1] in ("send", "duplicate"))
    assert f"({sent} sent" in panel.chart.layout.title.text
    assert processes_naming(root) == [] and run.summary().decided


def test_bad_input_names_the_field() -> None:
    with pytest.raises(UsageError, match="every"):
        ClusterPanel(every=0.0)
    with pytest.raises(UsageError, match="duration"):
        LiveCluster(duration=0.0)
    with pytest.raises(UsageError, match="node: must be a node of this cluster"):
        LiveCluster().kill("zz")


def test_the_throughput_view_counts_every_message_and_shades_downtime() -> None:
    """On a simulated run, an independent count: bar heights x bin width sum to the sends."""
    import plotly.graph_objects as go

    from paxosbook import Config, simulate
    from paxosbook.views.throughput import throughput_spec

    run = simulate(Config(acceptors=3, drop=0.2, crashes=["a1@0.5:3"], max_time=30), seed=2)
    spec = throughput_spec(run)
    sent, lost = spec["data"][0], spec["data"][1]
    width = sent["width"] / 0.95
    assert round(sum(sent["y"]) * width) == sum(r[1] in ("send", "duplicate") for r in run.records)
    assert round(sum(lost["y"]) * width) == sum(r[1] == "drop" for r in run.records) > 0
    assert [(s["x0"], s["x1"]) for s in spec["layout"]["shapes"]] == [(0.5, 3.0)]
    assert spec["layout"]["annotations"][0]["text"] == "a1 down"
    go.Figure(spec)  # plotly accepts it


def test_the_panels_figures_keep_their_state_at_once_in_a_kernel() -> None:
    """Redrawn from the ticker thread as well as the kernel's, the panel's figures keep their
    synced state at once, never 0.3 s later from the loop (deferred, 07's diagram sometimes
    never drew in the browser test). Not started: no process."""
    async def redraw() -> bool:
        panel = ClusterPanel(duration=5.0)
        panel.refresh()
        return all(f.get_state()["_widget_data"] == f._data and f._keep_pending is None
                   for f in (panel.sequence, panel.chart))

    assert asyncio.run(redraw())
