"""Bounded response after stabilisation for 3 acceptors and 2 proposers, one of them stopped.

The issue's missing figures: the least k such that every stable path decides within k steps,
found exhaustively, for 3 acceptors and 2 proposers when the network becomes stable with one
proposer left (retrying at once, no backoff) and the other stopped. The search keeps one state
per renumbering of the ballots and renaming of the acceptors (``symmetry=True``).

* At the stable start (both proposers' Prepares in flight): k = 28, pinned, found over
  1,336,050 stable states; then again with ``settle=True`` (inert messages taken out and
  counted, frozen learner votes cleared: 3667 states), which must give the same 28.
* ``--after-faults``: from every state of the faulty phase (loss, timeouts, each proposer's
  first ballot), with the reduced faulty phase (``reduce=True``: drop-free, up to view and
  renaming, then every set of drops: 304,329 states, 1,794,681 stabilisation points) and
  settled stable states (``settle=True``): k = 29, from 654,818 settled stable states
  (first run: 301 s, peak 439 MB, on a shared 2-core machine; with settle's certificate,
  which checks what settling relied on with the real handlers after the search: 292 s, of
  which the check 1.4 s, peak 466 MB). Without settling the stable
  graph passed the 20,000,000-state limit (``MAX_LIMIT``) in 47 minutes without ending.
  ``--cross-check N`` compares settled and unsettled values point by point: 40 random points
  and 12 points of value 24 to 26 agreed (the worst point's unsettled graph, and 3 others,
  were past 2.5-3 M states and skipped), so k >= 29 holds on real states (the worst path
  replays) and the settled upper bound agrees wherever the plain search could follow.

Both pins are regression pins: this checker's own figures, first found with this benchmark;
no published figure exists. The reductions (faulty phase, settling) are checked against the
plain searches on small configurations by ``tests/test_liveness.py``, and settling against
the unsettled k = 28 here. Prints k, the state counts, the time and the
peak memory (of this process: the after-faults figure runs alone with ``--only-after-faults``
for its own peak). With ``--two`` it also prints the 2-acceptor figure with and without
symmetry (they must agree). ``--faults N`` counts the plain faulty phase's states up to N
(millions: why the reduction is needed).

    python benchmarks/bench_liveness.py [--two] [--faults N] [--after-faults]
    python benchmarks/bench_liveness.py --only-after-faults [--path]
    python benchmarks/bench_liveness.py --cross-check N
"""
from __future__ import annotations

import argparse
import random
import time

from rss import peak_rss_mb

from paxosbook.check.liveness import Response, bounded_response, search
from paxosbook.check.liveness.certify import Certificate
from paxosbook.check.liveness.search import MAX_LIMIT
from paxosbook.check.liveness.settle import Settler
from paxosbook.check.liveness.symmetry import Acceptors
from paxosbook.check.liveness.system import State, System
from paxosbook.config import Config

PINNED_K = 28
PINNED_SETTLED_STATES = 3667
PINNED_AFTER_FAULTS = 29
"""A regression pin (see above): the checker's own figure, with ``settle=True``."""
TARGET_SECONDS = 20 * 60
CERTIFICATE_SHARE = 0.15
"""The most of the after-faults run that checking settle's certificate may take."""
TARGET_MB = 8 * 1024


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


def replays(r: Response) -> bool:
    """``r.worst`` is a real path (each step one the relations offer, unrenumbered states
    compared by name), undecided until its last step, with exactly ``r.k`` stable steps: an
    independent check that k is at least this figure."""
    p = r.parameters
    config = Config(acceptors=p["acceptors"], proposers=p["proposers"], learners=p["learners"],
                    backoff="none", max_attempts=0)
    system = System(config, p["active"], p["faulty_ballots"], p["restarts"])
    s = system.initial()
    for action in r.worst:
        if system.decided(s):
            return False
        if action.name == "stabilise":
            s = system.stabilise(s, [system.nodes.index(n) for n in action.args])
            continue
        s = next((t for a, t in system.steps(s) if (a.name, a.args) == (action.name, action.args)),
                 None)
        if s is None:
            return False
    names = [a.name for a in r.worst]
    return system.decided(s) and len(names) - names.index("stabilise") - 1 == r.k


def after_faults(show_path: bool) -> bool:
    checking: list[float] = []
    real_check = Certificate.check

    def check(self: Certificate, k: int) -> str | None:  # timed: the certificate's share
        start = time.perf_counter()
        try:
            return real_check(self, k)
        finally:
            checking.append(time.perf_counter() - start)

    Certificate.check = check  # type: ignore[method-assign]
    start = time.perf_counter()
    try:
        r = bounded_response(3, 2, 1, faults=True, symmetry=True, max_states=MAX_LIMIT,
                             settle=True)
    finally:
        Certificate.check = real_check  # type: ignore[method-assign]
    seconds = time.perf_counter() - start
    print(f"3 acceptors, 2 proposers, one stopped, after faults: {r}")
    share = sum(checking) / seconds
    print(f"  settle's certificate (certify): {'held' if r.settle_failed is None else 'FAILED'}"
          f", {sum(checking):.1f} s of the {seconds:.1f} s, {share:.1%} (target: under "
          f"{CERTIFICATE_SHARE:.0%}: {'MET' if share < CERTIFICATE_SHARE else 'MISSED'})")
    print(f"  ({r.faulty_states:,} drop-free faulty states up to view and renaming, "
          f"{r.stabilisations:,} stabilisation points, {r.states:,} settled stable states)")
    peak = peak_rss_mb()
    print(f"  {seconds:.1f} s, peak {peak:.0f} MB")
    print(f"  targets on this shared 2-core machine: under {TARGET_SECONDS} s "
          f"{'MET' if seconds < TARGET_SECONDS else 'MISSED'}, under {TARGET_MB} MB "
          f"{'MET' if peak < TARGET_MB else 'MISSED'} (the plain search: over 4 GB before "
          "its faulty phase ended; --faults N counts it)")
    if show_path and r.worst:
        print("  a longest path (faulty prefix, stabilise, stable steps):")
        print("\n".join(f"    {a}" for a in r.worst))
    if r.k is None:
        print("after faults: no figure (PARTIAL): MISSED")
        return False
    real = replays(r)
    print(f"  the worst path {'replays' if real else 'DOES NOT replay'} on real states: "
          f"{r.k} stable steps, undecided until the last")
    print(f"k = {r.k}: {'MATCHES' if r.k == PINNED_AFTER_FAULTS else 'DIFFERS FROM'} the "
          f"pinned {PINNED_AFTER_FAULTS}")
    return real and r.k == PINNED_AFTER_FAULTS and r.settle_failed is None


def cross_check(n: int, seed: int = 7) -> bool:
    """Settling checked on the after-faults configuration itself: for ``n`` random
    stabilisation points (and the worst), the unsettled longest run (``_longest`` without
    ``settled``, up to 2.5 M more states per point; a point past that is skipped) against
    the settled value."""
    config = Config(acceptors=3, proposers=2, learners=1, backoff="none", max_attempts=0)
    system = System(config, 1, 1, 0)
    canon = Acceptors(system).canonical
    packed = search.Packed(system, canon)
    roots = search._reduced_roots(system, search._drop_free(system, canon), canon, packed)
    settler = Settler(system)

    def settled(state: State) -> tuple[bytes, int]:
        s, steps = settler.settle(state)
        return packed.key(canon(s)), 0 if system.decided(state) else steps

    table: dict[bytes, int] = {}
    search._longest(system, roots, MAX_LIMIT, packed, table, settled)
    value = search._value(table, settled)
    values = {r: value(packed.state(r)) for r in roots}
    sample = [max(roots, key=values.__getitem__), *random.Random(seed).sample(sorted(roots), n)]
    plain: dict[bytes, int] = {}
    agree = skipped = 0
    for r in sample:
        if search._longest(system, [r], len(plain) + 2_500_000, packed, plain)[0] is None:
            skipped += 1
            continue
        agree += plain[r] == values[r]
    checked = len(sample) - skipped
    print(f"cross-check: {agree} of {checked} points agree (settled vs unsettled longest run), "
          f"{skipped} past the limit (the worst, k = {max(values.values())}, among them: "
          f"{sample[0] not in plain}); {'OK' if agree == checked else 'MISMATCH'}")
    return agree == checked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--two", action="store_true")
    ap.add_argument("--faults", type=int, default=0)
    ap.add_argument("--after-faults", action="store_true")
    ap.add_argument("--only-after-faults", action="store_true")
    ap.add_argument("--path", action="store_true", help="print the after-faults worst path")
    ap.add_argument("--cross-check", type=int, default=0, metavar="N",
                    help="compare N random after-faults points settled and unsettled")
    args = ap.parse_args(argv)
    if args.cross_check:
        return 0 if cross_check(args.cross_check) else 1
    if args.only_after_faults:
        return 0 if after_faults(args.path) else 1
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
    ok = r.k == PINNED_K
    start = time.perf_counter()
    settled = bounded_response(3, 2, 1, faults=False, symmetry=True, settle=True)
    seconds = time.perf_counter() - start
    print(f"  settled: k = {settled.k} from {settled.states:,} states, {seconds:.1f} s: "
          f"{'MATCHES' if settled.k == r.k else 'DIFFERS FROM'} the unsettled k")
    ok = ok and settled.k == r.k and settled.states == PINNED_SETTLED_STATES
    if args.faults:
        n, complete = faulty_states(args.faults)
        print(f"plain faulty phase, 3 acceptors, 2 proposers: {n:,} states"
              f"{'' if complete else ' and more (stopped at the limit)'}")
    if args.after_faults:
        ok = after_faults(args.path) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
