"""The stepper's panel, driven without a browser: ``click()`` its buttons, read its figures,
badges and lines.

References are independent of the panel: a ``Stepper`` stepped by the API with the same
tokens, ``check_run`` on the replayed prefixes for where a property broke, the sequence
diagram's own message count.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from paxosbook import Config
from paxosbook.check import check_run
from paxosbook.stepper import Stepper
from paxosbook.views.sequence import PENDING_COLOR
from paxosbook.widgets import StepperWidget
from paxosbook.widgets import stepper as stepper_widget

BUG = "ignore-promised-value"
MUTANT = Config(acceptors=3, proposers=2, learners=1, max_attempts=1, backoff="none",
                mutants=(BUG,))  # the checker's shortest counterexample: 5667 states


@pytest.fixture
def panel() -> StepperWidget:
    return StepperWidget(acceptors=3, proposers=1, learners=1)


def row_of(panel: StepperWidget, msg_id: int):
    rows = [r for r in panel._rows if r.msg_id == msg_id and any(
        r.box in n.box.children for n in panel.nodes.values())]
    assert len(rows) == 1, f"one visible row for message #{msg_id}"
    return rows[0]


def arrows(panel: StepperWidget) -> int:
    """Messages the sequence diagram draws delivered (its title counts them)."""
    title = panel.sequence.layout.title.text
    return int(title.split(": ")[1].split(" delivered")[0])


def visible(button) -> bool:
    return button.layout.display != "none"


def test_deliver_button_steps_and_the_diagram_grows(panel: StepperWidget) -> None:
    panel.nodes["p1"].life["start"].click()
    assert panel.stepper.path == "s:p1" and panel.path == "s:p1"
    assert [r.msg_id for r in panel._rows[:3]] == [0, 1, 2]
    # before any delivery the Prepares are drawn faintly, as candidates
    faint = panel.sequence.data[-1]
    assert faint.name == "next candidates" and faint.line.color == PENDING_COLOR
    assert sum(x is not None for x in faint.x) == 2 * 3
    row_of(panel, 0).buttons["deliver"].click()
    assert panel.stepper.path == "s:p1 d0"
    assert arrows(panel) == 1
    ref = Stepper.replay(panel.stepper.config, "s:p1 d0")
    assert panel.stepper.run.records == ref.run.records
    assert {r.msg_id for r in panel._rows[:3]} == {mid for mid, _ in ref.world.pending}
    panel.next_button.click()  # the next candidate: the Prepare to a2 (#1)
    assert panel.stepper.path == "s:p1 d0 d1" and arrows(panel) == 2
    assert "step 3" in panel.status.value


def test_drop_duplicate_crash_restart_buttons(panel: StepperWidget) -> None:
    panel.nodes["p1"].life["start"].click()
    row_of(panel, 0).buttons["duplicate"].click()  # the copy is message #3, to a1
    row_of(panel, 1).buttons["drop"].click()
    assert panel.stepper.path == "s:p1 u0 x1"
    a1 = panel.nodes["a1"]
    assert visible(a1.life["crash"]) and not visible(a1.life["restart"])
    a1.life["crash"].click()
    assert "down" in a1.title.value and visible(a1.life["restart"])
    assert row_of(panel, 0).buttons["deliver"].disabled  # a1 is down: listed, not deliverable
    a1.life["restart"].click()
    assert not row_of(panel, 3).buttons["deliver"].disabled
    row_of(panel, 3).buttons["deliver"].click()
    assert panel.stepper.path == "s:p1 u0 x1 c:a1 r:a1 d3"
    events = set(panel.stepper.run.trace["event"].astype(str))
    assert {"duplicate", "drop", "crash", "recover", "promise"} <= events


def test_timer_button() -> None:
    panel = StepperWidget(acceptors=3, proposers=1, learners=1)
    panel.nodes["p1"].life["start"].click()
    phase = panel.nodes["p1"].timers["phase"]
    assert visible(phase) and not visible(panel.nodes["p1"].timers["retry"])
    phase.click()
    assert panel.stepper.path == "s:p1 t:p1:phase"


def test_undo_redo_and_the_keys(panel: StepperWidget) -> None:
    assert panel.undo_button.disabled and panel.redo_button.disabled
    panel.do("s:p1")
    panel.do("d0")
    panel.undo_button.click()
    assert panel.stepper.path == "s:p1" and not panel.redo_button.disabled
    assert arrows(panel) == 0
    panel.redo_button.click()
    assert panel.stepper.path == "s:p1 d0" and arrows(panel) == 1
    # what the browser's key listener sends
    panel.shortcuts._handle_custom_msg({"key": "next"}, [])
    assert panel.stepper.path == "s:p1 d0 d1"
    panel.shortcuts._handle_custom_msg({"key": "undo"}, [])
    assert panel.stepper.path == "s:p1 d0"
    panel.shortcuts._handle_custom_msg({"key": "redo"}, [])
    assert panel.stepper.path == "s:p1 d0 d1"


def test_a_bad_path_in_the_share_line_is_an_inline_message(panel: StepperWidget) -> None:
    panel.do("s:p1")
    panel.do("d0")
    panel.share.value = "s:p1 d7"
    assert "path:" in panel.message.value and "d7" in panel.message.value
    assert panel.stepper.path == "s:p1 d0" and panel.share.value == "s:p1 d0"
    panel.share.value = "s:p1 d1 d2"  # a good one: replayed, the history kept
    assert panel.message.value == "" and panel.stepper.path == "s:p1 d1 d2"
    assert len(panel.stepper.branches) == 2


def test_a_bad_action_is_an_inline_message(panel: StepperWidget) -> None:
    panel.do("d0")  # nothing sent yet
    assert "action:" in panel.message.value and panel.stepper.path == ""
    panel.do("s:p1")
    assert panel.message.value == ""


def test_the_planted_bug_turns_agreement_red_and_names_the_step() -> None:
    panel = StepperWidget(MUTANT)
    assert "paxosbook-badge-broken" not in panel.badges.value
    panel.search_button.click()  # the shortest way to break a property: chosen_is_stable
    assert "broken 11 steps from here" in panel.result.value
    for _ in range(20):  # then deliver what is in flight until a second value is chosen
        if "agreement:" in panel.badges.value:
            break
        panel.next_button.click()
    tokens = panel.stepper.path.split()
    # the first prefix whose run violates agreement, by the properties' own check
    first = next(k for k in range(len(tokens) + 1) if "agreement" in {
        v.property for v in check_run(Stepper.replay(MUTANT, " ".join(tokens[:k])).run)})
    assert "data-property='agreement' title='agreement" in panel.badges.value
    assert "paxosbook-badge-broken' data-property='agreement'" in panel.badges.value
    assert f"broken at step {first} (" in panel.badges.value
    assert "paxosbook-badge-holds' data-property='validity'" in panel.badges.value


def test_search_with_nothing_to_find() -> None:
    panel = StepperWidget(acceptors=3, proposers=1, learners=1, max_attempts=1)
    panel.search(max_depth=2)
    assert "no violation" in panel.result.value and panel.stepper.path == ""


def test_branches_list_and_goto(panel: StepperWidget) -> None:
    panel.do("s:p1")
    panel.do("d0")
    panel.undo_button.click()
    panel.do("d1")  # a second branch
    branches = panel.stepper.branches
    assert len(branches) == 2 and len(panel.branches.options) == 2
    assert panel.branches.value == next(b.id for b in branches if b.current)
    other = next(b for b in branches if not b.current)
    panel.branches.value = other.id
    assert panel.stepper.path == "s:p1 d0" and panel.share.value == "s:p1 d0"


def test_the_synced_path_round_trip() -> None:
    panel = StepperWidget(MUTANT)
    panel.do("s:p1")
    panel.do("d0")
    state = panel.get_state()
    assert state["path"] == "s:p1 d0"  # what the page keeps in the saved notebook
    again = StepperWidget(MUTANT, path=state["path"])
    assert again.stepper.run.records == panel.stepper.run.records
    fresh = StepperWidget(MUTANT)
    fresh.set_state({"path": "s:p1 d0"})  # the page sending the saved state back
    assert fresh.stepper.path == "s:p1 d0" and fresh.share.value == "s:p1 d0"


def test_a_taken_over_run() -> None:
    from paxosbook import simulate
    run = simulate(Config(acceptors=3, proposers=2), seed=1)
    s = Stepper.from_run(run, time=2.0)
    panel = StepperWidget(s)
    assert panel.stepper is s and panel.path.startswith("run 1@2.0;")
    pending = sum(len(v) for v in s.pending().values())
    assert sum(len(n.box.children) - 1 for n in panel.nodes.values()) == pending
    assert s.candidates  # seed 1 at t=2 has messages in flight
    token = s.candidates[0].token
    panel.next_button.click()
    assert panel.path.endswith(f"; {token}") and panel.stepper.run.records[-1][1] != ""


def test_figures_wait_for_the_kernel_loop_in_a_kernel() -> None:
    """In a kernel the click's reply comes first: the figures are drawn once, just after."""
    panel = StepperWidget(acceptors=3, proposers=1, learners=1)

    async def clicks() -> tuple[str, str]:
        panel.do("s:p1")
        panel.do("d0")
        before = panel.sequence.layout.title.text
        await asyncio.sleep(0.2)
        return before, panel.sequence.layout.title.text

    before, after = asyncio.run(clicks())
    assert before.startswith("0 ") and after.startswith("4 messages: 1 delivered")


def test_the_start_draws_an_empty_run() -> None:
    """Before any step the run has no events: its trace is empty (with every column) and the
    panel draws empty lifelines and no candidates."""
    s = Stepper(acceptors=3, proposers=1)
    assert len(s.run.trace) == 0 and "round" in s.run.trace.columns
    panel = StepperWidget(s)
    assert panel.sequence.data[-1].name == "next candidates" and not panel.stepper.candidates


def test_a_lone_click_is_drawn_at_once_and_a_quick_next_one_waits(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The redraw follows a click's reply with no fixed delay, unless the last redraw was less
    than ``DRAW_DELAY`` ago (a held key): then it waits, so quick clicks are drawn once. (A
    fake clock: the delays asked of the loop are checked, not the wall clock.)"""
    now = [100.0]
    monkeypatch.setattr(stepper_widget, "_clock", lambda: now[0])
    panel = StepperWidget(acceptors=3, proposers=1, learners=1)  # drawn at once: no loop
    delays: list[float] = []

    async def clicks() -> None:
        loop = asyncio.get_running_loop()
        real = loop.call_later

        def call_later(delay: float, fn: Any, *args: Any) -> Any:
            if fn == panel.draw:
                delays.append(delay)
                delay = 0
            return real(delay, fn, *args)
        monkeypatch.setattr(loop, "call_later", call_later)
        for step, token in ((2.0, "s:p1"), (0.5, "d0"), (2.0, "d1")):
            now[0] += step * stepper_widget.DRAW_DELAY
            panel.do(token)
            await asyncio.sleep(0.01)

    asyncio.run(clicks())
    assert delays == [0.0, stepper_widget.DRAW_DELAY, 0.0]
    assert panel.sequence.layout.title.text.startswith("5 messages: 2 delivered")  # all drawn
