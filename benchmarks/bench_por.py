"""Partial-order reduction (sleep sets) on the issue's ``actors`` configuration.

3 acceptors, 2 proposers with 2 values, one retry each, 1 learner, set network, symmetry on
(``tests/test_check_exhaustive.py``): searched with sleep sets by the array level loop (the
default, ``check.actors.vector``) and by the Python one, and, as the baseline in the same run,
without sleep sets. The counts must be equal (sleep sets skip transitions, never states);
the figures printed are the time of each, the successor states each built, the ratio, and
MET or MISSED against the issue's target: the exhaustive search under 20 s. On a shared
machine the absolute time depends on who else runs; the ratio measured in one run is the
steadier figure, and the line "at the reference speed" scales the reduced time to a baseline
of 90 s (the test's time on the 2-core reference machine).

The successors built by the two sleep-set loops can differ slightly (0.7% here): which
sibling sleeps follows the order of message ids, and each search interns messages in its own
order; on one model instance they are equal, state by state (``tests/test_check_vector.py``).

With ``--reference REV`` (a git revision, e.g. the commit before the per-state speed-ups) the
search with and without sleep sets is also run on that revision's code, in a subprocess from
``git archive``: the issue's "~90 s" is the reference code's plain search, so the honest
figure for the current code is the ratio to that run (and the scaled time is computed against
it), measured on the same machine at the same time.

With ``--why`` it also measures why sleep sets cannot reach the target on this model: how
many states remain once the history variables (the ghost's votes and Accepts, and the
learners' inbox, which only the properties read) are forgotten, and how many with the Accepts
kept (the same: the votes alone multiply the states), and what share of all
transitions lands on a state no further from the start than its source (a step absorbed
by a later one, e.g. a Promise collected and then forgotten by a timeout: not a commutation,
so no sleep set removes it).

    python benchmarks/bench_por.py [--small] [--reference REV] [--why]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from rss import peak_rss_mb, reset_peak

from paxosbook import Config
from paxosbook.check.actors import ActorModel
from paxosbook.check.engine import _Search, explore

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

    def vector_search(self) -> Any:
        self.vector = super().vector_search()  # (it counts what it builds)
        return self.vector


RUNS: dict[str, dict[str, Any]] = {
    "arrays": {"por": True}, "python": {"por": True, "vectorised": False},
    "plain": {"por": False}}
"""This code's three searches: sleep sets with the array level loop (the default), sleep sets
with the Python level loop, and the plain search (no sleep sets)."""
LABELS = {"arrays": "sleep sets, arrays", "python": "sleep sets, Python", "plain": "plain search"}


FIGURES = ("distinct_states", "total_states", "depth", "raw_distinct_states",
           "raw_total_states", "seconds", "ok")


def run(config: Config, how: str) -> tuple[Any, int, float, str]:
    """(the result's figures, successors built, CPU seconds, peak memory of the search), each
    search in a child process of its own (forked), so that its peak is its own."""
    with multiprocessing.get_context("fork").Pool(1) as pool:
        out: tuple[Any, int, float, str] = pool.apply(_run, (config, how))
    return out


def _run(config: Config, how: str) -> tuple[Any, int, float, str]:
    measured = reset_peak()
    model = Counting(config)
    model.vector = None
    cpu = time.process_time()
    r = explore(model, symmetry=True, **RUNS[how])
    built = model.vector.built if model.vector is not None else model.built
    peak = f"{peak_rss_mb():,.0f} MB" if measured else "n/a"
    figures = SimpleNamespace(**{f: getattr(r, f) for f in FIGURES})
    return figures, built, time.process_time() - cpu, peak


REFERENCE_RUN = """
import json, sys, time
from paxosbook import Config
from paxosbook.check.actors import ActorModel
from paxosbook.check.engine import explore
config = Config(acceptors=3, proposers=2, values=("add", "jmp"), learners=1,
                max_attempts=int(sys.argv[1]), backoff="none")
cpu = time.process_time()
r = explore(ActorModel(config), symmetry=True, por=sys.argv[2] == "por")
print(json.dumps({"distinct_states": r.distinct_states, "total_states": r.total_states,
                  "depth": r.depth, "raw_distinct_states": r.raw_distinct_states,
                  "raw_total_states": r.raw_total_states, "seconds": r.seconds,
                  "cpu": time.process_time() - cpu}))
"""


def reference(rev: str, attempts: int, por: bool) -> dict[str, Any]:
    """The search (symmetry, with or without sleep sets) on the code of git revision ``rev``."""
    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(root), "archive", rev, "paxosbook"],
                                 check=True, capture_output=True).stdout
        tar = Path(tmp) / "ref.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as t:
            t.extractall(tmp, filter="data")
        out = subprocess.run([sys.executable, "-c", REFERENCE_RUN, str(attempts),
                              "por" if por else "plain"], check=True,
                             capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": tmp}, cwd=tmp).stdout
    figures: dict[str, Any] = json.loads(out.splitlines()[-1])
    return figures


def why(config: Config) -> None:
    """The two structural figures of ``--why`` (module docstring)."""
    model = ActorModel(config)
    search = _Search(model, True, None, None, False, False, por=True)
    search.bfs()
    level: dict[Any, int] = {}
    for s, parent in search.parents.items():  # insertion order: parents come first
        level[s] = 0 if parent is None else level[parent] + 1
    aside = model.inbox_mask
    cores = {(s[0] & ~aside, *s[2:]) for s in search.parents}
    ghosts = model._ghosts
    keep_accepts = {(s[0] & ~aside, ghosts[s[1]][1], *s[2:]) for s in search.parents}
    inbox_votes: dict[int, frozenset[Any]] = {}
    differ = 0
    for s in search.parents:
        box = s[0] & aside
        votes = inbox_votes.get(box)
        if votes is None:
            sent = [model.message(mid) for mid in range(box.bit_length()) if box >> mid & 1]
            votes = inbox_votes[box] = frozenset((m.src, m.ballot, m.value) for m in sent)
        differ += votes != ghosts[s[1]][0]
    older = total = 0
    for s, d in level.items():
        for t in model.successors(s)[1]:
            total += 1
            older += level[model.canonical(t)[0]] <= d
    n = len(search.parents)
    print(f"why: {len(cores):,} of {n:,} states remain once the history (votes, Accepts, "
          f"learners' inbox) is forgotten: it multiplies the states by {n / len(cores):.1f}x")
    alone = ("the multiplier is the votes alone, which the properties read"
             if len(keep_accepts) == len(cores) else "the Accepts multiply them too")
    print(f"why: keeping the ghost's Accepts leaves {len(keep_accepts):,}: {alone} (the "
          f"learners' inbox, as Accepted messages, holds other votes than the ghost in "
          f"{differ:,} states)")
    print(f"why: {older:,} of {total:,} transitions ({older / total:.0%}) land on a state no "
          f"further from the start than their source (absorbed steps: no sleep set removes "
          f"them)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="one ballot each (a quick look)")
    ap.add_argument("--reference", metavar="REV",
                    help="also run the plain search on this git revision's code")
    ap.add_argument("--why", action="store_true",
                    help="also measure the history's share of the states and the absorbed "
                         "transitions")
    args = ap.parse_args(argv)
    config = Config(acceptors=3, proposers=2, values=("add", "jmp"), learners=1,
                    max_attempts=1 if args.small else 2, backoff="none")
    results = {}
    for how in RUNS:
        r, built, cpu, peak = run(config, how)
        results[how] = r
        print(f"{LABELS[how]:<19} distinct {r.distinct_states:>9,}  "
              f"total {r.total_states:>11,}  depth {r.depth}  raw {r.raw_distinct_states:,} / "
              f"{r.raw_total_states:,}  built {built:>11,}  {r.seconds:7.1f} s "
              f"(cpu {cpu:.1f} s, peak {peak})  ok {r.ok}", flush=True)
    fast, slow = results["arrays"], results["plain"]
    fields = ("distinct_states", "total_states", "depth", "raw_distinct_states",
              "raw_total_states")
    same = all(getattr(r, f) == getattr(slow, f) for f in fields for r in results.values())
    print(f"counts {'EQUAL' if same else 'DIFFERENT (a bug)'}; speed-up "
          f"{slow.seconds / fast.seconds:.2f}x over the plain search and "
          f"{results['python'].seconds / fast.seconds:.2f}x over the Python level loop, in "
          f"this run")
    base = slow.seconds
    if args.reference:
        for por in (True, False):
            ref = reference(args.reference, config.max_attempts, por)
            same = same and all(ref[f] == getattr(fast, f) for f in fields)
            print(f"reference {args.reference}: {'sleep sets' if por else 'plain search'} "
                  f"{ref['seconds']:.1f} s (cpu {ref['cpu']:.1f} s), counts "
                  f"{'EQUAL' if same else 'DIFFERENT (a bug)'}; this code's default "
                  f"search {ref['seconds'] / fast.seconds:.2f}x faster", flush=True)
        base = ref["seconds"]
    if args.why:
        why(config)
    scaled = fast.seconds * REFERENCE_BASELINE / base
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} (shared machine)")
    print(f"target: exhaustive search under {TARGET_SECONDS:.0f} s: "
          f"{'MET' if fast.seconds < TARGET_SECONDS else 'MISSED'} ({fast.seconds:.1f} s here); "
          f"at the reference speed (baseline {REFERENCE_BASELINE:.0f} s): {scaled:.1f} s, "
          f"{'MET' if scaled < TARGET_SECONDS else 'MISSED'}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
