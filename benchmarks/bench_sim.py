"""Simulator throughput and memory.

A long run: 5 acceptors, 3 proposers without backoff and a phase timeout (1.3) below the
worst round-trip time (uniform delay 1 +- 0.5), so the proposers preempt each other round after
round (a livelock: thousands of ballots, every message type). We print delivered messages per
second, the rate of a bare heap-pop/heap-push loop over the same number of events in the same
process, and their ratio (target >= 0.12); then the peak memory of a 1,000,000-message run
with its trace kept (target < 600 MB).

    python benchmarks/bench_sim.py [--messages N] [--memory-messages N]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import resource
import time

import paxosbook as pb
from paxosbook.sim import Simulator


def livelock(messages: int) -> pb.Config:
    return pb.Config(acceptors=5, proposers=3, timeout=1.3, backoff="none", delay="uniform",
                     delay_mean=1.0, delay_jitter=0.5, max_messages=messages, max_time=1e9)


def bare_loop(events: int) -> float:
    """Events per second of a heap keyed (time, seq) with nothing else to do."""
    heap = [(float(i), i, 0, None, None) for i in range(64)]
    heapq.heapify(heap)
    seq = 64
    pop, push = heapq.heappop, heapq.heappush
    t0 = time.perf_counter()
    for _ in range(events):
        t, _, kind, a, b = pop(heap)
        seq += 1
        push(heap, (t + 1.0, seq, kind, a, b))
    return events / (time.perf_counter() - t0)


def simulator_rate(messages: int, repeats: int) -> tuple[float, int, dict[str, int]]:
    best = 0.0
    delivered = 0
    for _ in range(repeats):
        sim = Simulator(livelock(messages), seed=1)
        t0 = time.perf_counter()
        sim.run()
        dt = time.perf_counter() - t0
        delivered = sum(1 for r in sim.records if r[1] == "deliver")
        best = max(best, delivered / dt)
        summary = sim.result().summary()
        del sim
        gc.collect()
    counts = {"sent": summary.messages_sent, "delivered": delivered, "ballots": summary.ballots,
              "decided": int(summary.decided)}
    return best, delivered, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=300_000)
    ap.add_argument("--memory-messages", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    rate, delivered, counts = simulator_rate(args.messages, args.repeats)
    bare = max(bare_loop(delivered) for _ in range(args.repeats))
    print(f"simulator: {rate:,.0f} delivered messages/s (best of {args.repeats}; {counts})")
    print(f"bare heap loop: {bare:,.0f} events/s over {delivered:,} events")
    print(f"ratio: {rate / bare:.3f} (target >= 0.12)")

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    run = Simulator(livelock(args.memory_messages), seed=2).run()
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{args.memory_messages:,}-message run: {len(run.records):,} trace events kept, "
          f"{dt:.1f} s, peak RSS {peak / 1024:,.0f} MB (before the run {base / 1024:,.0f} MB; "
          "target < 600 MB)")


if __name__ == "__main__":
    main()
