"""``show_spec``, the one door through which figures reach a ``FigureWidget``.

What it must guarantee: the widget holds plain Python (no numpy), so plotly's handling of the
browser's echo cannot raise; it sends only what changed, nothing for an identical figure; and
one explorer change builds the trace once and never hashes it.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import Undefined
from plotly.basewidget import BaseFigureWidget

import paxosbook as pb
from paxosbook import trace as trace_module
from paxosbook.views import ballots, frames, network, sequence, state
from paxosbook.views import narrate as narrate_module
from paxosbook.views.ballots import ballot_spec
from paxosbook.views.network import network_spec
from paxosbook.views.sequence import sequence_spec
from paxosbook.widgets import Explorer, show_spec
from paxosbook.widgets.figures import KEEP_AFTER, plain

RUN = pb.simulate(pb.Config(acceptors=3, proposers=2, drop=0.2, duplicate=0.1,
                            crashes=(pb.Crash("a1", 2.0, 6.0),)), seed=3)
SPECS: dict[str, Callable[[], dict[str, Any]]] = {
    "sequence": lambda: sequence_spec(RUN, time=3.0),
    "network": lambda: network_spec(RUN, 3.0),
    "ballots": lambda: ballot_spec(RUN),
}


def walk(value: Any) -> Iterator[Any]:
    """Every value inside ``value`` (dicts and lists recursively), ``value`` included."""
    yield value
    if isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)


def browser_echo(props: dict[str, Any]) -> dict[str, Any]:
    """What plotly.js reports back for a trace whose props it filled in (its ``Ox`` delta in
    widgetbundle.js): a plain array comes back as an array; a numpy array, which reached the
    browser as a typed array, comes back as an object keyed by index."""
    def echo(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return {str(i): x for i, x in enumerate(v.tolist())}
        if isinstance(v, dict):
            return {k: echo(x) for k, x in v.items()}
        return v
    return {k: echo(v) for k, v in props.items()}


def sends(widget: go.FigureWidget) -> list[str]:
    """Record (by name) every message the widget sends to the browser from now on."""
    sent: list[str] = []
    for name in ("relayout", "restyle", "addTraces", "moveTraces", "update", "animate",
                 "deleteTraces"):
        setattr(widget, f"_send_{name}_msg", lambda *a, _n=name, **k: sent.append(_n))
    return sent


@pytest.mark.parametrize("view", SPECS)
def test_a_widget_holds_no_numpy_and_survives_the_browsers_echo(view: str) -> None:
    spec = SPECS[view]()
    widget = go.FigureWidget()
    show_spec(widget, spec)
    show_spec(widget, SPECS[view]())  # the in-place path too
    for trace in widget.data:
        props = trace._props
        assert not any(isinstance(v, (np.ndarray, np.generic)) for v in walk(props))
        BaseFigureWidget._remove_overlapping_props(copy.deepcopy(props), browser_echo(props))
    assert not any(isinstance(v, (np.ndarray, np.generic)) for v in walk(widget.layout._props))


def test_the_echo_check_fails_on_a_widget_holding_numpy() -> None:
    """The regression the test above guards against: plotly's own handling of the echo raises
    the kernel's "truth value of an array is ambiguous" when a trace holds a numpy array."""
    widget = go.FigureWidget()
    widget.add_traces([{"type": "scatter", "x": [0.0, 1.0], "y": np.array([1.0, 2.0])}])
    props = widget.data[0]._props
    with pytest.raises(ValueError, match="truth value of an array"):
        BaseFigureWidget._remove_overlapping_props(copy.deepcopy(props), browser_echo(props))


@pytest.mark.parametrize("view", SPECS)
def test_an_identical_figure_sends_nothing(view: str) -> None:
    widget = go.FigureWidget()
    show_spec(widget, SPECS[view]())
    sent = sends(widget)
    show_spec(widget, SPECS[view]())
    assert sent == []


def test_a_changed_figure_sends_one_update_with_only_what_differs() -> None:
    widget = go.FigureWidget()
    show_spec(widget, sequence_spec(RUN, time=3.0))
    updates: list[dict[str, Any]] = []

    def update(restyle_data: Any, relayout_data: Any, **_: Any) -> None:
        updates.append({"restyle": restyle_data, "relayout": relayout_data})
    widget._send_update_msg = update  # type: ignore[method-assign]
    show_spec(widget, sequence_spec(RUN, time=4.0))  # only the cursor moves
    assert len(updates) == 1
    restyle, relayout = updates[0]["restyle"], updates[0]["relayout"]
    assert restyle == {}
    assert set(relayout) <= {"shapes", "annotations"}, relayout


def test_a_new_height_keeps_an_autosized_figure_autosized() -> None:
    """plotly.js takes a height edited alone as a fixed size (autosize off, width pinned to the
    one drawn): an explorer's diagram whose height changed with the run stayed 968 px wide in a
    592 px box. The edit must state autosize and width too (the browser side of this is in
    test_browser_layout: slider moved, window shrunk)."""
    widget = go.FigureWidget()
    layout = {"autosize": True, "height": 476, "title": {"text": "a"}}
    show_spec(widget, {"data": [{"type": "scatter", "x": [1]}], "layout": layout})
    updates: list[Any] = []
    widget._send_update_msg = lambda restyle, relayout, **_: updates.append(  # type: ignore
        relayout)
    show_spec(widget, {"data": [{"type": "scatter", "x": [1]}],
                       "layout": {**layout, "title": {"text": "b"}}})
    show_spec(widget, {"data": [{"type": "scatter", "x": [1]}],
                       "layout": {**layout, "title": {"text": "b"}, "height": 491}})
    assert updates == [{"title": {"text": "b"}},
                       {"height": 491, "autosize": True, "width": None}]


def test_props_a_new_figure_leaves_out_are_cleared() -> None:
    widget = go.FigureWidget()
    show_spec(widget, {"data": [{"type": "scatter", "x": [1], "name": "a"}],
                       "layout": {"title": {"text": "t"}, "height": 300}})
    show_spec(widget, {"data": [{"type": "scatter", "x": [2]}], "layout": {"height": 300}})
    assert widget.data[0].name is None and widget.data[0].x == (2,)
    assert widget.layout.title.text is None and widget.layout.height == 300


# -- one change, one trace ----------------------------------------------------------------------
@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often a change builds the trace DataFrame, hashes the trace, pairs the messages."""
    counts = {"rows": 0, "digest": 0, "messages": 0}

    def counting(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(trace_module.Run, "rows", counting("rows", trace_module.Run.rows))
    digest = trace_module.Run.__dict__["_digest"].func
    monkeypatch.setattr(trace_module.Run, "_digest", property(counting("digest", digest)))
    pair = counting("messages", frames.message_columns)
    for module in (frames, sequence, network, state, ballots, narrate_module):
        if hasattr(module, "message_columns"):
            monkeypatch.setattr(module, "message_columns", pair)
    return counts


def test_a_change_builds_the_trace_once_and_never_hashes_it(counted: dict[str, int]) -> None:
    ex = Explorer(acceptors=3, proposers=2, drop=0.2)
    for seed in (1, 2, 3):
        counted.update(rows=0, digest=0, messages=0)
        old = ex.run
        ex.seed.value = seed
        assert ex.run is not None and old is not None and ex.run.records != old.records
        assert counted == {"rows": 1, "digest": 0, "messages": 1}, seed
    assert ex.run.trace_digest() and counted["digest"] == 1  # still there, on demand


def test_a_change_that_leaves_the_run_identical_sends_nothing() -> None:
    ex = Explorer(acceptors=3, proposers=2, drop=0.0)
    sent = [sends(f) for f in (ex.sequence, ex.graph, ex.ballots)]
    ex.delay_jitter.value = ex.delay_jitter.value  # no change at all: no re-run
    ex.timeout.value = ex.timeout.value + 0.5  # a timeout that never fires: same events
    run = pb.simulate(ex.config, seed=0)
    assert ex.run is not None and ex.run.records == run.records
    assert sent == [[], [], []]


def test_digest_is_computed_once_and_kept() -> None:
    run = pb.simulate(pb.Config(), seed=1)
    first = run.trace_digest()
    assert run.__dict__["_digest"] == first == run.trace_digest()
    assert pb.Run.from_json(run.to_json()).trace_digest() == first


# -- a view created later draws the figure ------------------------------------------------------
def test_a_view_created_after_updates_draws_the_current_figure() -> None:
    """What the browser gets when it (re)creates the widget's model (on a reconnect, say) is
    the synced state: it must be the figure shown, not the empty one the widget started as."""
    ex = Explorer(acceptors=3, proposers=2)
    ex.set(drop=0.3, seed=3)
    ex.cursor.value = 0
    for widget in (ex.sequence, ex.graph, ex.ballots):
        state = widget.get_state()
        assert state["_widget_data"] == widget._data and len(widget._data) > 0
        assert state["_widget_layout"] == widget.layout._props
    cursor = ex.sequence.get_state()["_widget_layout"]["shapes"][-1]
    assert cursor["x0"] == ex.viewer.time == 0.0


def test_in_a_kernel_a_first_display_keeps_its_state_at_once() -> None:
    """A figure's first traces are its synced state before the cell ends, loop or not: its
    view may be created any moment (a deferred state drew notebook 07's cluster panel as
    empty axes)."""
    async def build() -> list[bool]:
        ex = Explorer(acceptors=3, proposers=2)
        return [w.get_state()["_widget_data"] == w._data and len(w._data) > 0
                for w in (ex.sequence, ex.graph, ex.ballots)]

    assert asyncio.run(build()) == [True, True, True]


def test_in_a_kernel_the_state_is_kept_once_after_a_burst_of_changes() -> None:
    """With an event loop running (a kernel), the synced state follows a little later, once
    for a burst of slider changes, and is then the figure shown. Would catch: the state left
    behind for good (a flush never scheduled or dropping the data), or one full copy per
    change."""
    async def burst() -> tuple[Explorer, list[int], list[int]]:
        ex = Explorer(acceptors=3, proposers=2)
        await asyncio.sleep(KEEP_AFTER + 0.1)  # what building it scheduled
        sent = [0, 0]

        def count(i: int) -> Callable[[Any], None]:
            return lambda change: sent.__setitem__(i, sent[i] + 1)

        ex.sequence.observe(count(0), names="_widget_data")
        ex.sequence.observe(count(1), names="_widget_layout")
        for drop in (0.1, 0.2, 0.3):
            ex.set(drop=drop, seed=3)
        during = list(sent)
        await asyncio.sleep(KEEP_AFTER + 0.2)
        return ex, during, sent

    ex, during, after = asyncio.run(burst())
    assert during == [0, 0] and after == [1, 1]
    state = ex.sequence.get_state()
    assert state["_widget_data"] == ex.sequence._data
    assert state["_widget_layout"] == ex.sequence.layout._props


# -- the in-place path stores and sends what the validating path would --------------------------
RUNS = [pb.simulate(pb.Config(acceptors=3, proposers=2, drop=d), seed=s)
        for d, s in ((0.0, 1), (0.2, 3), (0.3, 5), (0.1, 2))]
SPECS_OF: dict[str, Callable[[pb.Run], dict[str, Any]]] = {
    "sequence": lambda run: sequence_spec(run, time=2.0),
    "network": lambda run: network_spec(run, 2.0),
    "ballots": ballot_spec,
}


@pytest.mark.parametrize("view", SPECS_OF)
def test_in_place_updates_end_where_a_fresh_validated_figure_starts(view: str) -> None:
    """Each run shown in place (unvalidated) leaves the widget holding, and its synced state
    carrying, the figure plotly's validating path builds from scratch for that run; and the
    one message sent holds only the properties that changed."""
    widget = go.FigureWidget()
    show_spec(widget, SPECS_OF[view](RUNS[0]))
    updates: list[tuple[Any, Any, Any]] = []

    def update(restyle: Any, relayout: Any, trace_indexes: Any = None, **_: Any) -> None:
        updates.append((restyle, relayout, trace_indexes))
    widget._send_update_msg = update  # type: ignore[method-assign]
    for before, run in itertools.pairwise(RUNS):
        updates.clear()
        show_spec(widget, SPECS_OF[view](run))
        fresh = go.FigureWidget()
        show_spec(fresh, SPECS_OF[view](run))  # the validating path (first display)
        for held, ref in zip(widget.data, fresh.data, strict=True):
            assert {k: v for k, v in held.to_plotly_json().items() if k != "uid"} == {
                k: v for k, v in ref.to_plotly_json().items() if k != "uid"}
        assert widget.layout.to_plotly_json() == fresh.layout.to_plotly_json()
        assert len(widget.layout.shapes) == len(fresh.layout.shapes)  # no stale object views
        assert len(widget.layout.annotations) == len(fresh.layout.annotations)
        assert widget.get_state()["_widget_layout"] == widget.layout._props
        assert widget.get_state()["_widget_data"] == widget._data
        assert len(updates) <= 1
        old, new = SPECS_OF[view](before), SPECS_OF[view](run)
        for restyle, relayout, indexes in updates:
            was, now = plain(old["layout"]), plain(new["layout"])
            changed = {k for k in was.keys() | now.keys() if was.get(k) != now.get(k)}
            if changed & {"height", "width"}:
                changed |= {"autosize", "width"}  # see the test below
            assert relayout == {k: now.get(k) for k in changed}
            for key, values in restyle.items():
                for i, value in zip(indexes, values, strict=True):
                    assert value is Undefined or value == plain(new["data"][i]).get(key)
                    if value is not Undefined:
                        assert plain(old["data"][i]).get(key) != value, (key, i)


def test_a_change_of_trace_count_takes_the_validating_path() -> None:
    widget = go.FigureWidget()
    show_spec(widget, {"data": [{"type": "scatter", "x": [1]}], "layout": {}})
    show_spec(widget, {"data": [{"type": "scatter", "x": [1]}, {"type": "bar", "x": [2]}],
                       "layout": {}})
    assert [t.type for t in widget.data] == ["scatter", "bar"]
    with pytest.raises(ValueError):  # validated: a misspelt property is refused
        show_spec(widget, {"data": [{"type": "scatter", "xx": [1]}], "layout": {}})
