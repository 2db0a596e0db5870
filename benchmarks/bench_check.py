"""Model-checker speed: Lamport's Paxos (``tla`` model), 3 acceptors, 2 values, majority
quorums, ballots 0..2, exhausted breadth-first.

Prints distinct and total ("generated") states, depth, seconds, states per second and the
peak memory of the process (target: under 10 s on the 2-core reference machine; TLC needs
over 30 s single-worker there). Then a same-process baseline: the small model (ballots 0..1)
explored through the readable line-by-line transcription (``check.tla.spec``) against the packed
fast path, and their ratio; then the same 0..2 model with symmetry reduction.
``--actors`` adds the issue's ``actors`` configuration (3 acceptors, 2 proposers, one retry
each, every interleaving of the real role code; about a minute and a half).

    python benchmarks/bench_check.py [--max-ballot N] [--actors]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from rss import peak_rss_mb

from paxosbook import Config
from paxosbook.check.engine import explore
from paxosbook.check.tla import TlaModel


class Transcription(TlaModel):
    """The same model, every step computed by ``check.tla.spec`` (no packing shortcuts)."""

    def successors(self, state: int) -> tuple[int, list[int]]:
        steps = self.actions(state)
        return len(steps), [t for _, t in steps]


def line(label: str, r: Any) -> str:
    return (f"{label:<34} distinct {r.distinct_states:>9,}  total {r.total_states:>10,}  "
            f"depth {r.depth:>3}  {r.seconds:7.2f} s  {r.states_per_second:>9,.0f} states/s")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-ballot", type=int, default=2)
    ap.add_argument("--actors", action="store_true")
    args = ap.parse_args(argv)

    before = peak_rss_mb()
    r = explore(TlaModel(3, 2, args.max_ballot))
    print(line(f"tla 3 acceptors 2 values 0..{args.max_ballot}", r))
    print(f"{'':<34} complete {r.complete}, violations {len(r.violations)}, "
          f"peak memory {peak_rss_mb():.0f} MB (process; {before:.0f} MB before)")
    print(f"{'':<34} target < 10 s: {'MET' if r.seconds < 10 else 'MISSED'}")

    fast = explore(TlaModel(3, 2, 1))
    t0 = time.perf_counter()
    slow = explore(Transcription(3, 2, 1))
    assert (slow.distinct_states, slow.total_states) == (fast.distinct_states, fast.total_states)
    print(line("baseline: transcription 0..1", slow) + f"  ({time.perf_counter() - t0:.2f} s)")
    print(line("packed fast path 0..1", fast))
    print(f"{'':<34} speed-up {slow.seconds / fast.seconds:.1f}x")

    sym = explore(TlaModel(3, 2, args.max_ballot), symmetry=True)
    print(line(f"symmetry 0..{args.max_ballot}", sym)
          + f"  (raw {sym.raw_distinct_states:,} / {sym.raw_total_states:,})")

    if args.actors:
        from paxosbook.check.actors import ActorModel
        config = Config(acceptors=3, proposers=2, learners=1, max_attempts=2, backoff="none")
        a = explore(ActorModel(config), symmetry=True)
        print(line("actors 3 acc, 2 prop, 1 retry each", a)
              + f"  (raw {a.raw_distinct_states:,} / {a.raw_total_states:,}), "
                f"violations {len(a.violations)}, peak {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
