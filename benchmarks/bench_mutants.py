"""Planted bugs: found by the model checker at once, by the random simulator with luck.

For each scenario of ``paxosbook.check.scenarios`` (five code mutants and non-intersecting
quorums) the ``actors`` model is searched breadth-first with symmetry: we print the states it
needed, the property broken and the length of the (shortest) counterexample. Then the random
simulator runs seeds 0, 1, 2, ... of the same bug on a quiet network and on a hostile one
(loss, long-tailed delays, crashes where the bug needs them): we print the first seed that
shows a violation (so "seeds needed" = that + 1) and how many of ``--seeds`` seeds do. The
correct protocol (``none``) is the control: nothing may be found.

    python benchmarks/bench_mutants.py [--seeds N]
"""

from __future__ import annotations

import argparse
import sys
import time

from paxosbook.check.engine import explore
from paxosbook.check.scenarios import SCENARIOS, seeds_needed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=2000)
    args = ap.parse_args(argv)
    print(f"{'scenario':<27} {'checker: states':>15} {'steps':>5} {'property':<22} {'s':>5} | "
          f"simulator, seeds needed (hits/{args.seeds}): quiet, hostile")
    for name, s in SCENARIOS.items():
        t0 = time.perf_counter()
        r = explore(s.model(), symmetry=True)
        checker_s = time.perf_counter() - t0
        cex = r.violations[0] if r.violations else None
        prop = cex.invariant if cex else "(none: exhausted)"
        steps = str(len(cex.actions)) if cex else "-"
        sims = []
        for hostile in (False, True):
            first, hits = seeds_needed(s.simulation(hostile), args.seeds)
            needed = f"{first + 1}" if first is not None else f">{args.seeds}"
            sims.append(f"{needed:>6} ({hits:>4})")
        print(f"{name:<27} {r.distinct_states:>15,} {steps:>5} {prop:<22} {checker_s:5.2f} | "
              f"{sims[0]}, {sims[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
