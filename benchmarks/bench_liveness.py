"""Bounded response after stabilisation for 3 acceptors and 2 proposers, one of them stopped.

The issue's missing figure: the least k such that every stable path decides within k steps,
found exhaustively, for 3 acceptors and 2 proposers when the network becomes stable with one
proposer left (retrying at once, no backoff) and the other stopped, at the stable start (both
proposers' Prepares in flight). The search keeps one state per renumbering of the ballots and
renaming of the acceptors (``bounded_response(..., symmetry=True)``). Prints k, the states,
the time and the peak memory, and checks k against the pinned 28 (a regression pin: this
checker's own figure, first found with this benchmark; no published figure exists). With
``--two`` it also prints the 2-acceptor figure with and without symmetry (they must agree).

The faulty phase before stabilisation (loss, timeouts, each proposer's first ballot) is what
blocks the figure "after faults" for this configuration: it did not finish within 4 GB
(millions of states, each a stabilisation point); ``--faults N`` counts its states up to N.

    python benchmarks/bench_liveness.py [--two] [--faults N]
"""
from __future__ import annotations

import argparse
import time

from rss import peak_rss_mb

from paxosbook.check.liveness import bounded_response
from paxosbook.check.liveness.system import System
from paxosbook.config import Config

PINNED_K = 28


def faulty_states(limit: int) -> tuple[int, bool]:
    """How many states the faulty phase of 3 acceptors, 2 proposers has, up to ``limit``."""
    config = Config(acceptors=3, proposers=2, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 1, 0)
    seen = {system.initial()}
    frontier = list(seen)
    while frontier and len(seen) < limit:
        nxt = [t for s in frontier if not system.decided(s) for t in system.successors(s)
               if t not in seen]
        frontier = list(dict.fromkeys(nxt))
        seen.update(frontier)
    return len(seen), not frontier


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--two", action="store_true")
    ap.add_argument("--faults", type=int, default=0)
    args = ap.parse_args(argv)
    if args.two:
        for symmetry in (False, True):
            r = bounded_response(2, 2, 1, faults=False, symmetry=symmetry)
            print(f"2 acceptors, 2 proposers, one stopped, symmetry {symmetry}: {r}")
    start = time.perf_counter()
    r = bounded_response(3, 2, 1, faults=False, symmetry=True, max_states=5_000_000)
    seconds = time.perf_counter() - start
    print(f"3 acceptors, 2 proposers, one stopped at the stable start: {r}")
    print(f"  {seconds:.1f} s, peak {peak_rss_mb():.0f} MB; a longest path:")
    print("\n".join(f"    {a}" for a in r.worst))
    print(f"k = {r.k}: {'MATCHES' if r.k == PINNED_K else 'DIFFERS FROM'} the pinned "
          f"{PINNED_K}")
    if args.faults:
        n, complete = faulty_states(args.faults)
        print(f"faulty phase, 3 acceptors, 2 proposers: {n:,} states"
              f"{'' if complete else ' and more (stopped at the limit)'}")
    return 0 if r.k == PINNED_K else 1


if __name__ == "__main__":
    raise SystemExit(main())
