"""Partial-order reduction (sleep sets) on the issue's ``actors`` configuration.

3 acceptors, 2 proposers with 2 values, one retry each, 1 learner, set network, symmetry on
(``tests/test_check_exhaustive.py``): searched with ``por=True`` and, as the baseline in the
same run, without it. The counts must be equal (sleep sets skip transitions, never states);
the figures printed are the time of each, the successor states each built, the ratio, and
MET or MISSED against the issue's target: the exhaustive search under 20 s. On a shared
machine the absolute time depends on who else runs; the ratio measured in one run is the
steadier figure, and the line "at the reference speed" scales the reduced time to a baseline
of 90 s (the test's time on the 2-core reference machine).

    python benchmarks/bench_por.py [--small]
"""
from __future__ import annotations

import argparse
import time
from typing import Any

from paxosbook import Config
from paxosbook.check.actors import ActorModel
from paxosbook.check.engine import explore

TARGET_SECONDS = 20.0
REFERENCE_BASELINE = 90.0


class Counting(ActorModel):
    """The same model, counting the successor states it builds."""

    built = 0

    def successors(self, state: Any) -> tuple[int, list[Any]]:
        n, out = super().successors(state)
        self.built += len(out)
        return n, out

    def sleep_successors(self, state: Any, sleep: Any) -> tuple[int, list[Any]]:
        n, out = super().sleep_successors(state, sleep)
        self.built += len(out)
        return n, out


def run(config: Config, por: bool) -> tuple[Any, int, float]:
    model = Counting(config)
    cpu = time.process_time()
    r = explore(model, symmetry=True, por=por)
    return r, model.built, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="one ballot each (a quick look)")
    args = ap.parse_args(argv)
    config = Config(acceptors=3, proposers=2, values=("add", "jmp"), learners=1,
                    max_attempts=1 if args.small else 2, backoff="none")
    results = {}
    for por in (True, False):
        r, built, cpu = run(config, por)
        results[por] = r
        print(f"{'sleep sets' if por else 'baseline  '}  distinct {r.distinct_states:>9,}  "
              f"total {r.total_states:>11,}  depth {r.depth}  raw {r.raw_distinct_states:,} / "
              f"{r.raw_total_states:,}  built {built:>11,}  {r.seconds:7.1f} s "
              f"(cpu {cpu:.1f} s)  ok {r.ok}", flush=True)
    fast, slow = results[True], results[False]
    same = all(getattr(fast, f) == getattr(slow, f) for f in (
        "distinct_states", "total_states", "depth", "raw_distinct_states", "raw_total_states"))
    print(f"counts {'EQUAL' if same else 'DIFFERENT (a bug)'}; speed-up "
          f"{slow.seconds / fast.seconds:.2f}x in this run")
    scaled = fast.seconds * REFERENCE_BASELINE / slow.seconds
    print(f"target: exhaustive search under {TARGET_SECONDS:.0f} s: "
          f"{'MET' if fast.seconds < TARGET_SECONDS else 'MISSED'} ({fast.seconds:.1f} s here); "
          f"at the reference speed (baseline {REFERENCE_BASELINE:.0f} s): {scaled:.1f} s, "
          f"{'MET' if scaled < TARGET_SECONDS else 'MISSED'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
