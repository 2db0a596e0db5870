"""Trace validation speed and memory on long runs.

The simulator's livelock of ``bench_sim`` (5 acceptors, 3 proposers without backoff preempting
each other round after round: thousands of ballots, every message type), with loss and
duplication, and a Multi-Paxos log of many commands. For each we print the events validated
per second, the simulator's events per second on the same run in the same process (the
baseline), their ratio, and the peak memory of the process (the candidate set stays one state:
memory is the run's, not the search's).

    python benchmarks/bench_validate.py [--messages N] [--commands N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from rss import peak_rss_mb

import paxosbook as pb
from paxosbook.check import validate
from paxosbook.replication import LogConfig, run_log


def livelock(messages: int) -> pb.Config:
    return pb.Config(acceptors=5, proposers=3, timeout=1.3, backoff="none", delay="uniform",
                     delay_mean=1.0, delay_jitter=0.5, drop=0.05, duplicate=0.05,
                     max_messages=messages, max_time=1e9)


def log_config(commands: int) -> LogConfig:
    pairs = tuple((f"p{1 + i % 3}", f"c{i}") for i in range(commands))
    return LogConfig(commands=pairs, replicas=5, drop=0.05, duplicate=0.05, max_time=1e9)


def measure(name: str, make: Callable[[], Any]) -> None:
    t0 = time.perf_counter()
    run = make()
    sim_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = validate(run)
    val_s = time.perf_counter() - t0
    n = len(run.records)
    print(f"{name:<34} {n:>9,} events  valid={result.ok!s:<5} spec steps {result.steps:>7,}  "
          f"validate {n / val_s:>9,.0f} ev/s  simulate {n / sim_s:>9,.0f} ev/s  "
          f"ratio {sim_s / val_s:4.2f}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=50_000)
    ap.add_argument("--commands", type=int, default=200)
    args = ap.parse_args(argv)
    measure(f"livelock, {args.messages:,} messages",
            lambda: pb.simulate(livelock(args.messages), seed=1))
    measure(f"multi-paxos, {args.commands} commands",
            lambda: run_log("multi-paxos", log_config(args.commands), seed=1))
    print(f"peak memory {peak_rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
