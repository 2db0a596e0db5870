"""Simulator throughput and memory.

A long run: 5 acceptors, 3 proposers without backoff and a phase timeout (1.3) below the
worst round-trip time (uniform delay 1 +- 0.5), so the proposers preempt each other round after
round (a livelock: thousands of ballots, every message type). We print delivered messages per
second, the rate of a bare heap-pop/heap-push loop over the same number of events in the same
process, and their ratio (target >= 0.12); then the peak memory of a run of MAX_MESSAGES
(200,000) messages, the most a run may send, with its trace kept (target < 250 MB).

    python benchmarks/bench_sim.py [--messages N] [--memory-messages N]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import subprocess
import sys
import time

from rss import peak_rss_mb

import paxosbook as pb
from paxosbook.network import MAX_MESSAGES
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


def memory(messages: int) -> None:
    """Run once in this (fresh) process and print the peak resident memory."""
    base = peak_rss_mb()
    t0 = time.perf_counter()
    run = Simulator(livelock(messages), seed=2).run()
    dt = time.perf_counter() - t0
    peak = peak_rss_mb()
    print(f"{messages:,}-message run: {len(run.records):,} trace events kept, {dt:.1f} s, "
          f"peak RSS {peak:,.0f} MB (interpreter and imports alone: {base:,.0f} MB; "
          f"target < 250 MB): {'MET' if peak < 250 else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=MAX_MESSAGES)
    ap.add_argument("--memory-messages", type=int, default=MAX_MESSAGES)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--memory-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_only:
        memory(args.memory_messages)
        return

    rate, delivered, counts = simulator_rate(args.messages, args.repeats)
    bare = max(bare_loop(delivered) for _ in range(args.repeats))
    print(f"simulator: {rate:,.0f} delivered messages/s (best of {args.repeats}; {counts})")
    print(f"bare heap loop: {bare:,.0f} events/s over {delivered:,} events")
    ratio = rate / bare
    print(f"ratio: {ratio:.3f} (target >= 0.12): {'MET' if ratio >= 0.12 else 'MISSED'}")
    # memory in a fresh process, so the runs above do not inflate its peak
    subprocess.run([sys.executable, __file__, "--memory-only",
                    "--memory-messages", str(args.memory_messages)], check=True)


if __name__ == "__main__":
    main()
