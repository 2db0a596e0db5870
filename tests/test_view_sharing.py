"""One slider change derives each shared table once, and the state table's direct HTML shows
the same cells as pandas' Styler did (issue 10, latency: the views shared nothing and the
table went through the Styler on every change)."""

from __future__ import annotations

import gc
import re
from collections import Counter
from typing import Any

import pytest

import paxosbook as pb
from paxosbook.views import frames, state_html, state_table, style_state
from paxosbook.widgets import Explorer

SHARED = ("roles_of", "message_columns", "chosen", "focus_window", "crash_intervals",
          "partition_intervals")
"""The per-trace tables every view needed, each of which used to be built by several views."""


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often each function of ``SHARED`` ran (the real function still does the work)."""
    counts: Counter[str] = Counter()

    def counting(name: str) -> Any:
        real = getattr(frames, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)
        return wrapper

    for name in SHARED:
        monkeypatch.setattr(frames, name, counting(name))
    return counts


def test_one_change_builds_each_shared_table_once(calls: Counter[str]) -> None:
    ex = Explorer(acceptors=5, proposers=2, seed=3,
                  crashes=[pb.Crash("a1", 1.0, 3.0)],
                  partitions=[pb.Partition((("a2",), ("a3", "a4", "a5", "p1", "p2", "l1")),
                                           1.0, 2.0)])
    for drop in (0.1, 0.2):
        calls.clear()
        ex.drop.value = drop  # sequence diagram, network graph, table, ballots, step text
        assert ex.message.value == "" and ex.config.drop == drop
        assert dict(calls) == dict.fromkeys(SHARED, 1), drop


def test_moving_the_cursor_derives_nothing_again(calls: Counter[str]) -> None:
    ex = Explorer(acceptors=3, proposers=2, seed=1)
    calls.clear()
    for value in (1, 2, 3):
        ex.cursor.value = value
    assert sum(calls.values()) == 0


def test_a_run_gone_leaves_nothing_cached() -> None:
    run = pb.simulate(pb.Config(acceptors=3), seed=0)
    before = len(frames._DERIVED)
    d = frames.derived(run)
    assert frames.derived(run) is d and frames.derived(run.trace, run.config.cluster()) is d
    assert len(frames._DERIVED) == before + 1
    del run, d
    gc.collect()
    assert len(frames._DERIVED) == before


def test_another_cluster_is_another_entry() -> None:
    run = pb.simulate(pb.Config(acceptors=3), seed=0)
    inferred = frames.derived(run.trace)  # no cluster: roles read off the trace
    assert inferred is not frames.derived(run)
    assert inferred.roles == frames.derived(run).roles


# -- the state table's HTML --------------------------------------------------------------------
def styler_cells(html: str) -> list[list[tuple[str, frozenset[str]]]]:
    """Each body row's shown cells as (text, CSS declarations), read from the Styler's HTML
    (styles are CSS rules on cell ids in a <style> block)."""
    css: dict[str, set[str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^}]*)\}", html.split("</style>")[0]):
        for sel in selectors.split(","):
            m = re.search(r"_(row\d+_col\d+)", sel)
            if m:
                css.setdefault(m.group(1), set()).update(
                    d.strip() for d in body.split(";") if d.strip())
    rows: dict[int, list[tuple[str, frozenset[str]]]] = {}
    for cell_id, row, text in re.findall(r'<td id="T_\w+?_(row(\d+)_col\d+)"[^>]*>(.*?)</td>',
                                         html):
        rows.setdefault(int(row), []).append((text, frozenset(css.get(cell_id, ()))))
    return [rows[i] for i in sorted(rows)]


def direct_cells(html: str) -> list[list[tuple[str, frozenset[str]]]]:
    base = {"padding: 2px 6px", "font-size: 12px"}  # every cell
    return [[(text, frozenset(d.strip() for d in style.split(";") if d.strip()) - base)
             for style, text in re.findall(r'<td style="([^"]*)">(.*?)</td>', row)]
            for row in re.findall(r"<tr><th[^>]*>[^<]*</th>(.*?)</tr>",
                                  html.split("<tbody>")[1])]


def header(html: str) -> list[str]:
    return re.findall(r"<th[^>]*>([^<]*)</th>", html)


@pytest.mark.parametrize("colocated", [False, True])
def test_state_html_has_the_cells_of_the_styled_table(colocated: bool) -> None:
    """A crashed learner and acceptor (greyed rows, red status), values in their colours; with
    colocated roles the role column is shown, otherwise hidden, as the Styler did."""
    config = pb.Config(acceptors=3, proposers=1, learners=1, stop_when_decided=False,
                       crashes=[pb.Crash("l1", 6.0, 8.0), pb.Crash("a1", 6.0)])
    if colocated:
        config = pb.Config(acceptors=3, proposers=2, colocated=True, drop=0.1)
    run = pb.simulate(config, seed=0)
    for t in sorted({r[0] for r in run.records})[::4]:
        table = state_table(run, t)
        styled, direct = style_state(table).to_html(), state_html(table)
        assert direct_cells(direct) == styler_cells(styled)
        assert len(direct_cells(direct)) == len(table)
        assert f"<caption>state at t={t:.2f}</caption>" in direct
        assert header(direct)[0] == "node" and header(direct)[1:] == [
            h for h in header(styled) if h not in ("&nbsp;", "node")]
        assert ("role" in header(direct)) == colocated
    if not colocated:  # the crashed nodes' status in red, their rows grey
        assert state_html(state_table(run, 7.0)).count("#C62828") == 2
