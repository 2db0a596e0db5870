"""The notebook panels of the model checker."""

from __future__ import annotations

import pytest

pytest.importorskip("ipywidgets")

from paxosbook.check.scenarios import NONE, SCENARIOS
from paxosbook.widgets.checker import MutantPanel, QuorumPanel, describe, quorum_grid


def test_mutant_panel_shows_a_counterexample_for_every_bug() -> None:
    panel = MutantPanel("reuse-ballot")
    for name in SCENARIOS:
        panel.choice.value = name
        assert panel.result is not None
        if name == NONE:
            assert panel.result.ok and "no property violated" in panel.text.value
        else:
            assert "violated" in panel.text.value and panel.figure.data
            assert panel.text.value.count("<li>") == len(panel.result.violations[0].actions)


def test_quorum_panel_follows_the_intersection_rule() -> None:
    panel = QuorumPanel(n=3, q1=1, q2=2)
    assert panel.result is not None and not panel.result.ok and "no acceptor in common" in \
        panel.text.value
    panel.q2.value = 3
    assert panel.result.ok and "every phase-1 quorum meets" in panel.text.value
    panel.n.value = 2  # the sliders follow N, so no combination is out of range
    assert panel.q1.max == panel.q2.max == 2 and panel.q2.value == 2
    assert "cannot check" not in panel.text.value


def test_quorum_grid_safe_iff_intersecting() -> None:
    grid = quorum_grid(3)
    assert len(grid) == 9
    assert (grid["Q1+Q2>N"] == grid["agreement holds"]).all()
    assert grid.loc[~grid["agreement holds"], "counterexample steps"].notna().all()


def test_describe_says_when_a_search_was_cut_short() -> None:
    from paxosbook.check.engine import explore
    from paxosbook.check.tla import TlaModel
    r = explore(TlaModel(3, 2, 2), max_states=100)
    assert "limit" in describe(r)
