"""How long one click of the stepper takes on the Python side (5 acceptors, 2 proposers).

A click is ``Stepper.step`` (the core's handler, the records, the six safety properties on the
history so far) followed by what a panel reads after it: the enabled ``actions``, the
``pending`` messages by receiver, the ``violations`` and the ``run``'s records. Measured along
random walks that mostly deliver (as a reader does), from the first step to ``--steps``; then
``undo`` and ``redo`` (moves in the history tree) with the same reads. Target: under 30 ms per
step. Printed: median, 90th percentile and worst, and as a same-process baseline one
simulation of the same deployment.

Then the panel (``StepperWidget``), as in a kernel (inside an asyncio loop): a click is
``widget.do`` (the step, the message rows, buttons, badges, branches and path; the figures
are drawn just after the click's reply), and the figure redraw (``widget.draw``: sequence
diagram with the faint candidates, network graph, state table) is timed on its own, and both
together. Target for the click: under 30 ms.

    python benchmarks/bench_stepper.py [--walks N] [--steps N]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections.abc import Callable
from typing import Any

import paxosbook as pb
from paxosbook.stepper import Stepper
from paxosbook.widgets import StepperWidget

TARGET_MS = 30.0
CONFIG = pb.Config(acceptors=5, proposers=2, learners=2)


def read(s: Stepper) -> tuple[Any, ...]:
    """What a panel reads after each click."""
    return s.actions, s.pending(), s.timers(), s.nodes(), s.violations, len(s.run.records)


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def describe(ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    verdict = "MET" if p90 < TARGET_MS else "MISSED"
    return (f"median {statistics.median(ms):6.2f} ms, p90 {p90:6.2f} ms, worst {ms[-1]:6.2f} ms"
            f"  (target < {TARGET_MS:g} ms: {verdict})")


def walk(seed: int, steps: int) -> tuple[list[float], list[float], int]:
    rng = random.Random(seed)
    s = Stepper(CONFIG)
    step_ms, move_ms = [], []
    for _ in range(steps):
        acts = s.actions
        delivers = [a for a in acts if a.kind in ("start", "deliver")]
        pick = rng.choice(delivers if delivers and rng.random() < 0.9 else acts)
        step_ms.append(timed(lambda pick=pick: (s.step(pick), read(s))))
    for _ in range(steps // 2):
        move_ms.append(timed(lambda: (s.undo(), read(s))))
        move_ms.append(timed(lambda: (s.redo(), read(s))))
    return step_ms, move_ms, len(s.run.records)


def widget_walk(seed: int, steps: int) -> tuple[list[float], list[float]]:
    """(click ms, figure redraw ms) along a random walk of the panel, in an asyncio loop."""
    async def go() -> tuple[list[float], list[float]]:
        rng = random.Random(seed)
        panel = StepperWidget(CONFIG)
        click_ms, draw_ms = [], []
        for _ in range(steps):
            acts = panel.stepper.actions
            delivers = [a for a in acts if a.kind in ("start", "deliver")]
            pick = rng.choice(delivers if delivers and rng.random() < 0.9 else acts)
            click_ms.append(timed(lambda pick=pick: panel.do(pick)))
            draw_ms.append(timed(panel.draw))
            assert not panel.message.value, panel.message.value
        return click_ms, draw_ms
    return asyncio.run(go())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--walks", type=int, default=10)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--widget-walks", type=int, default=3)
    ap.add_argument("--widget-steps", type=int, default=60)
    args = ap.parse_args()
    steps: list[float] = []
    moves: list[float] = []
    sizes: list[int] = []
    for seed in range(args.walks):
        a, b, n = walk(seed, args.steps)
        steps += a
        moves += b
        sizes.append(n)
    sim = [timed(lambda k=k: pb.simulate(CONFIG, seed=k)) for k in range(args.walks)]
    print(f"stepper, {CONFIG.acceptors} acceptors, {CONFIG.proposers} proposers, "
          f"{args.walks} walks of {args.steps} steps (runs of {min(sizes)}-{max(sizes)} "
          "events at the end)")
    print(f"  step + reads      {describe(steps)}")
    print(f"  undo/redo + reads {describe(moves)}")
    print(f"  baseline: one simulation of the deployment, median "
          f"{statistics.median(sim):.2f} ms")
    clicks: list[float] = []
    draws: list[float] = []
    for seed in range(args.widget_walks):
        a, b = widget_walk(seed, args.widget_steps)
        clicks += a
        draws += b
    print(f"panel, {args.widget_walks} walks of {args.widget_steps} clicks")
    print(f"  click (figures after)  {describe(clicks)}")
    print(f"  figure redraw          {describe(draws)}")
    both = [a + b for a, b in zip(clicks, draws, strict=True)]
    print(f"  click + redraw         {describe(both)}")


if __name__ == "__main__":
    main()
