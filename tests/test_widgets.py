"""The explorer, driven without a kernel: set ``.value`` on controls, read figures and lines.

Each test checks the widget against an independent computation (a fresh ``simulate`` with the
config the controls describe, the views called directly) rather than against itself.
"""

from __future__ import annotations

import base64
import html
from dataclasses import fields
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest

import paxosbook as pb
from paxosbook.core import UsageError
from paxosbook.views import narrate, network_graph, sequence_diagram
from paxosbook.widgets import (
    CONTROL_FIELDS,
    DEFAULT_CONFIG,
    Explorer,
    RunViewer,
    format_crashes,
    format_partitions,
    parse_crashes,
    parse_partitions,
    reproduce,
    show_spec,
)
from paxosbook.widgets import explorer as explorer_module
from paxosbook.widgets.figures import plain
from paxosbook.widgets.viewer import MAX_STEP_LINES


@pytest.fixture
def ex() -> Explorer:
    return Explorer(acceptors=3, proposers=2)


def decoded(value: Any) -> Any:
    """``value`` with plotly's base64 typed arrays (``{"dtype", "bdata"}``, what a
    ``go.Figure`` makes of a numpy array) decoded into lists."""
    if isinstance(value, dict) and set(value) == {"dtype", "bdata"}:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    if isinstance(value, dict):
        return {k: decoded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [decoded(v) for v in value]
    return value


def figure_json(fig: go.Figure | go.FigureWidget) -> dict[str, Any]:
    """The figure as plain JSON (arrays as lists, NaN as None), without trace uids."""
    out: dict[str, Any] = plain(decoded(go.Figure(fig).to_plotly_json()))
    for trace in out["data"]:
        trace.pop("uid", None)
    return out


def assert_shows(ex: Explorer, run: pb.Run) -> None:
    """The explorer's figures are exactly the views of ``run`` at the cursor."""
    assert ex.run is not None and ex.run.trace_digest() == run.trace_digest()
    t = ex.viewer.time
    cluster = run.config.cluster()
    want_seq = figure_json(sequence_diagram(run, time=t, cluster=cluster))
    got_seq = figure_json(ex.sequence)
    assert got_seq["data"] == want_seq["data"]
    assert got_seq["layout"]["shapes"] == want_seq["layout"]["shapes"]
    want_graph = figure_json(network_graph(run, t, cluster=cluster))
    assert figure_json(ex.graph)["data"] == want_graph["data"]


# -- controls ----------------------------------------------------------------------------------
def test_every_control_is_named_after_the_config_field_it_sets(ex: Explorer) -> None:
    config_fields = {f.name for f in fields(pb.Config)}
    assert set(CONTROL_FIELDS) <= config_fields
    for name in CONTROL_FIELDS:
        control = getattr(ex, name)
        value = getattr(ex.config, name)
        if name == "crashes":
            assert control.value == format_crashes(value)
        elif name == "partitions":
            assert control.value == format_partitions(value)
        else:
            assert control.value == value, name
    assert ex.seed.value == 0 and ex.run is not None and ex.run.seed == 0


def test_controls_cover_what_the_issue_asks_for(ex: Explorer) -> None:
    assert (ex.acceptors.min, ex.acceptors.max) == (1, 9)
    assert (ex.proposers.min, ex.proposers.max) == (1, 5)
    for name in ("drop", "duplicate", "delay_mean", "delay_jitter", "start_offset", "timeout",
                 "backoff", "seed", "crashes", "partitions"):
        assert hasattr(getattr(ex, name), "value"), name


@pytest.mark.parametrize("name, value", [
    ("drop", 0.3), ("duplicate", 0.4), ("acceptors", 5), ("proposers", 3), ("seed", 7),
    ("delay_mean", 2.0), ("timeout", 2.0), ("backoff", "none"), ("start_offset", 1.5),
    ("delay", "exponential"), ("crashes", "a1@1:5"), ("partitions", "p1,a1|p2,a2,a3@0.5:4"),
])
def test_changing_a_control_reruns_and_updates_figures_in_place(ex: Explorer, name: str,
                                                                 value: Any) -> None:
    sequence, graph, summary = ex.sequence, ex.graph, ex.summary.value
    before = figure_json(ex.sequence)
    getattr(ex, name).value = value
    assert ex.message.value == ""
    assert ex.sequence is sequence and ex.graph is graph  # the same widgets, updated
    seed = ex.seed.value
    config = ex.config_from_controls()
    assert ex.config == config
    if name != "seed":
        expected = value if name not in ("crashes", "partitions") else getattr(ex.config, name)
        assert getattr(ex.config, name) == expected
    assert_shows(ex, pb.simulate(config, seed=seed))
    assert figure_json(ex.sequence)["data"] != before["data"]
    assert ex.summary.value != summary


def test_figure_check_catches_a_stale_figure(ex: Explorer) -> None:
    old = pb.simulate(ex.config, seed=0)
    ex.drop.value = 0.3
    stale = Explorer(acceptors=3, proposers=2)
    stale.run = ex.run  # planted bug: the run changed, the figures did not
    with pytest.raises(AssertionError):
        assert_shows(stale, ex.run)
    with pytest.raises(AssertionError):
        assert_shows(ex, old)


def test_set_changes_several_controls_with_one_run(ex: Explorer,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = explorer_module.simulate

    def counting(config: pb.Config, seed: int = 0) -> pb.Run:
        calls.append((config, seed))
        return real(config, seed)

    monkeypatch.setattr(explorer_module, "simulate", counting)
    ex.set(drop=0.2, duplicate=0.1, acceptors=5, seed=4)
    assert len(calls) == 1
    assert calls[0][1] == 4 and calls[0][0].acceptors == 5 and calls[0][0].drop == 0.2
    with pytest.raises(UsageError, match=r"Explorer\.set"):
        ex.set(colour="red")


def test_summary_line_reports_decision_messages_and_violations() -> None:
    ok = Explorer(acceptors=3, proposers=1)
    s = ok.run.summary()  # type: ignore[union-attr]
    assert f"decided {s.value}" in ok.summary.value
    assert f"{s.messages_sent} messages" in ok.summary.value
    assert "safety holds" in ok.summary.value and "VIOLATED" not in ok.summary.value
    bad = pb.Config(acceptors=3, proposers=2, start_times=(0, 6), delay_jitter=0.2,
                    stop_when_decided=False, mutants=("ignore-promised-value",))
    broken = Explorer(bad)
    assert "VIOLATED: agreement, chosen_is_stable" in broken.summary.value
    assert "color:#C62828" in broken.summary.value
    assert broken.config.mutants == ("ignore-promised-value",)  # kept from the base config


def test_reproduce_line_recreates_the_run(ex: Explorer) -> None:
    ex.set(drop=0.3, duplicate=0.1, seed=9, crashes="a1@1:4", partitions="p1|a2,a3@0.5:3")
    code = ex.reproduce_code
    assert code.startswith("pb.simulate(pb.Config(") and "drop=0.3," in code
    assert code in ex.reproduce.value.replace("&#x27;", "'")
    again = eval(code, {"pb": pb})
    assert again.trace_digest() == ex.run.trace_digest()  # type: ignore[union-attr]


@pytest.mark.parametrize("config", [
    pb.Config(), pb.Config(acceptors=5, drop=0.25, delay="exponential", delay_jitter=0.5),
    pb.Config(crashes=[pb.Crash("a1", 1.0)], partitions=[pb.Partition((("a1",), ("a2",)), 2)],
              values=("x",), mutants=("reuse-ballot",), unsafe=False),
])
def test_reproduce_round_trips_any_config(config: pb.Config) -> None:
    assert eval(reproduce(config, 3), {"pb": pb}).trace_digest() == \
        pb.simulate(config, 3).trace_digest()


# -- invalid combinations --------------------------------------------------------------------------
@pytest.mark.parametrize("name, value, field", [
    ("crashes", "a7@2:5", "crashes.node"),
    ("partitions", "a1,zz|a2@1:2", "partitions.groups"),
    ("crashes", "a1@soon", "crashes"),
    ("partitions", "a1@1:2", "partitions"),
    ("crashes", "a1@5:2", "crashes.recover"),
    ("delay_jitter", 3.0, "delay_jitter"),
    ("seed", -1, "seed"),
])
def test_impossible_combination_shows_a_message_and_keeps_the_picture(
        ex: Explorer, name: str, value: Any, field: str) -> None:
    run, picture, summary = ex.run, figure_json(ex.sequence), ex.summary.value
    getattr(ex, name).value = value
    assert f"{field}: must be" in ex.message.value
    assert "Traceback" not in ex.message.value
    assert ex.run is run and ex.summary.value == summary
    assert figure_json(ex.sequence) == picture
    # fixing the control clears the message and draws again
    getattr(ex, name).value = {"seed": 1, "delay_jitter": 0.2}.get(name, "")
    assert ex.message.value == "" and ex.run is not run


def test_an_unexpected_error_is_a_message_not_a_traceback(
        ex: Explorer, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(config: pb.Config, seed: int = 0) -> pb.Run:
        raise KeyError("boom")

    monkeypatch.setattr(explorer_module, "simulate", broken)
    run = ex.run
    ex.drop.value = 0.2
    assert "internal error: KeyError" in ex.message.value and ex.run is run


def test_constant_delay_disables_jitter(ex: Explorer) -> None:
    ex.delay_jitter.value = 0.5
    ex.delay.value = "constant"
    assert ex.delay_jitter.disabled and ex.message.value == ""
    assert ex.config.delay == "constant" and ex.config.delay_jitter == 0.0
    ex.delay.value = "uniform"
    assert not ex.delay_jitter.disabled and ex.config.delay_jitter == 0.5


# -- fault editor ---------------------------------------------------------------------------------
def test_add_crash_and_partition_buttons_edit_the_schedule(ex: Explorer) -> None:
    ex.fault_node.value = "a2"
    ex.fault_at.value, ex.fault_recover.value = 1.0, 3.0
    ex.add_crash.click()
    assert ex.crashes.value == "a2@1:3"
    assert ex.config.crashes == (pb.Crash("a2", 1.0, 3.0),)
    assert any(r[1] == "crash" and r[2] == "a2" for r in ex.run.records)  # type: ignore[union-attr]
    ex.isolate.value = "a1"
    ex.cut_from.value, ex.cut_to.value = 0.5, 2.0
    ex.add_partition.click()
    (p,) = ex.config.partitions
    assert p.groups[0] == ("a1",) and set(p.groups[1]) == set(ex.config.cluster().nodes) - {"a1"}
    ex.acceptors.value = 5
    assert "a5" in ex.fault_node.options
    ex.clear_faults.click()
    assert ex.config.crashes == () and ex.config.partitions == ()


@pytest.mark.parametrize("text, expected", [
    ("", ()),
    ("a1@2", (pb.Crash("a1", 2.0),)),
    ("a1@2:", (pb.Crash("a1", 2.0),)),
    ("a1@2:8; p2@0.5:1", (pb.Crash("a1", 2.0, 8.0), pb.Crash("p2", 0.5, 1.0))),
    ("  a1@2:8   a2@3 ", (pb.Crash("a1", 2.0, 8.0), pb.Crash("a2", 3.0))),
])
def test_parse_crashes(text: str, expected: tuple[pb.Crash, ...]) -> None:
    assert parse_crashes(text) == expected
    assert parse_crashes(format_crashes(expected)) == expected


@pytest.mark.parametrize("text", ["a1", "@2", "a1@", "a1@:3", "a1@x:3", "a,1@2", "a1@2:3:4"])
def test_parse_crashes_rejects(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_crashes(text)
    assert err.value.field == "crashes"


@pytest.mark.parametrize("text, expected", [
    ("a1,p1|a2,a3@1:6", (pb.Partition((("a1", "p1"), ("a2", "a3")), 1.0, 6.0),)),
    ("a1|a2|a3@0", (pb.Partition((("a1",), ("a2",), ("a3",)), 0.0),)),
])
def test_parse_partitions(text: str, expected: tuple[pb.Partition, ...]) -> None:
    assert parse_partitions(text) == expected
    assert parse_partitions(format_partitions(expected)) == expected


@pytest.mark.parametrize("text", ["a1,a2@1:2", "a1|@1", "a1|a2", "a1|a2@x", "a1,|a2@1"])
def test_parse_partitions_rejects(text: str) -> None:
    with pytest.raises(UsageError) as err:
        parse_partitions(text)
    assert err.value.field == "partitions"


# -- time scrubber ---------------------------------------------------------------------------------
def assert_step_tells_the_instant(ex: Explorer, run: pb.Run, t: float) -> None:
    """The step line tells the events of instant ``t``, and only those, in trace order."""
    here = [i for i, r in enumerate(run.records) if r[0] == t]
    said = narrate(run.trace, t, t)
    assert here and list(said.index) == here
    shown = said["what"].tolist()[:MAX_STEP_LINES]
    more = len(here) - len(shown)
    tail = f"; … and {more} more" if more > 0 else ""
    assert ex.viewer.step_text.value.endswith(
        ": " + "; ".join(html.escape(x) for x in shown) + tail + "</div>")


def test_scrubber_steps_through_the_runs_events(ex: Explorer) -> None:
    """The cursor, the figures and the step line follow the instant. Catches a step line that
    tells the run so far instead of the instant (``narrate(trace, 0, t)`` planted in the viewer
    and seen failing)."""
    run = ex.run
    assert run is not None
    times = sorted({r[0] for r in run.records})
    assert ex.cursor.max == len(times) - 1 and ex.cursor.value == ex.cursor.max
    assert ex.forward.disabled and not ex.back.disabled
    ex.back.click()
    assert ex.cursor.value == len(times) - 2 and ex.viewer.time == times[-2]
    ex.cursor.value = 3
    t = times[3]
    assert ex.sequence.layout.shapes[-1].x0 == t  # the cursor line moved
    assert ex.graph.layout.title.text == f"network and state at t={t:.2f}"
    assert f"state at t={t:.2f}" in ex.table.value
    assert f"(instant 4 of {len(times)})" in ex.viewer.step_text.value
    assert_step_tells_the_instant(ex, run, t)
    assert_shows(ex, run)
    ex.cursor.value = 0
    assert ex.back.disabled
    ex.back.click()
    assert ex.cursor.value == 0
    ex.forward.click()
    assert ex.cursor.value == 1


def test_new_run_puts_the_cursor_at_its_end(ex: Explorer) -> None:
    ex.cursor.value = 2
    ex.drop.value = 0.2
    assert ex.cursor.value == ex.cursor.max
    assert ex.sequence.layout.shapes[-1].x0 == ex.run.records[-1][0]  # type: ignore[union-attr]


def test_run_viewer_alone_shows_a_run() -> None:
    run = pb.simulate(pb.Config(acceptors=3, proposers=1), seed=0)
    viewer = RunViewer(run, ballots=False)
    assert viewer.ballots is None
    assert viewer.time == run.records[-1][0]
    assert [t.name for t in viewer.sequence.data] == [t.name for t in sequence_diagram(run).data]


def test_figures_follow_a_change_in_the_number_of_traces(ex: Explorer) -> None:
    assert ex.ballots is not None
    before = len(ex.ballots.data)
    ex.proposers.value = 4  # the ballot timeline has one line per proposer
    assert len(ex.ballots.data) == before + 2
    assert {t.name for t in ex.ballots.data} >= {"p1", "p2", "p3", "p4"}


def test_show_spec_clears_properties_the_new_figure_lacks() -> None:
    widget = go.FigureWidget()
    show_spec(widget, {"data": [{"type": "scatter", "x": [1, 2], "name": "a"}],
                       "layout": {"title": {"text": "first"}, "shapes": [{"type": "line"}]}})
    show_spec(widget, {"data": [{"type": "scatter", "x": [3]}], "layout": {}})
    assert widget.data[0].name is None and tuple(widget.data[0].x) == (3,)
    assert widget.layout.title.text is None and widget.layout.shapes == ()


def test_default_config_is_small_and_capped() -> None:
    assert DEFAULT_CONFIG.max_messages <= 5000
    assert Explorer().config.acceptors == DEFAULT_CONFIG.acceptors


# -- folded: the sequence diagram live, the rest drawn on demand ---------------------------------
def test_a_folded_explorer_draws_the_other_figures_only_once_opened() -> None:
    ex = Explorer(acceptors=3, proposers=2, folded=True)
    ex.drop.value = 0.3
    assert ex.viewer.children == (ex.sequence, ex.viewer.more)
    assert ex.viewer.details.children == ()
    assert len(ex.sequence.data) > 0 and ex.graph.data == () and ex.ballots is not None
    assert ex.ballots.data == () and ex.table.value == ""
    ex.viewer.more.selected_index = 0  # the reader opens "more"
    assert ex.graph in _descendants(ex.viewer.details)
    assert_shows(ex, pb.simulate(ex.config, seed=0))
    assert len(ex.ballots.data) > 0 and "a1" in ex.table.value
    ex.seed.value = 4  # and from now on everything follows the controls
    assert_shows(ex, pb.simulate(ex.config, seed=4))


def _descendants(widget: Any) -> list[Any]:
    out = []
    for child in getattr(widget, "children", ()):
        out.append(child)
        out.extend(_descendants(child))
    return out
