"""Replicated-log throughput and messages per command: per-slot Paxos against Multi-Paxos.

One proposer, A, has 4,000 commands to log on 5 replicas (acceptors and learners), no
faults (uniform delay 1 +- 0.25). Per-slot Paxos runs phase 1 and phase 2 for every slot;
Multi-Paxos runs phase 1 once and then only phase 2. We print, for each, the commands
committed per second of wall-clock time (simulator throughput) and per unit of simulated time,
and the messages per committed command, split into phase 1, phase 2 (Accept and the
Accepted sent back to the proposer) and the Accepted sent to the other replicas so that they
learn. Expected: about 2x fewer phase-1-and-2 messages for Multi-Paxos in steady state; the
learners' messages are the same for both.

    python benchmarks/bench_log.py [--commands N] [--replicas R] [--repeats K]
"""

from __future__ import annotations

import argparse
import gc
import time

from paxosbook.network import MAX_MESSAGES
from paxosbook.replication import LogConfig, LogRun, Strategy
from paxosbook.replication.run import system_for
from paxosbook.sim import Simulator


def config(commands: int, replicas: int) -> LogConfig:
    return LogConfig(commands=tuple(("A", f"c{i}") for i in range(commands)), replicas=replicas,
                     max_time=1e9, max_messages=MAX_MESSAGES)


def timed_run(strategy: Strategy, cfg: LogConfig, repeats: int) -> tuple[LogRun, float]:
    best = float("inf")
    run = None
    for _ in range(repeats):
        sim = Simulator(cfg, 1, system=system_for(strategy, cfg))
        t0 = time.perf_counter()
        sim.run()
        best = min(best, time.perf_counter() - t0)
        run = LogRun(strategy, cfg, 1, sim.records, sim.stop_reason())
        del sim
        gc.collect()
    assert run is not None
    return run, best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--commands", type=int, default=4_000,
                    help="at most about 5,000: per-slot Paxos sends 40 messages per command, "
                         "and a run sends at most MAX_MESSAGES")
    ap.add_argument("--replicas", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=1)
    args = ap.parse_args()
    cfg = config(args.commands, args.replicas)
    print(f"{args.commands:,} commands from one proposer, {args.replicas} replicas, no faults")
    per_command: dict[Strategy, float] = {}
    consensus: dict[Strategy, float] = {}
    for strategy in (Strategy.PAXOS, Strategy.MULTI_PAXOS):
        run, seconds = timed_run(strategy, cfg, args.repeats)
        n = run.committed
        by_phase = run.messages_by_phase
        per_command[strategy] = run.messages / n
        consensus[strategy] = (by_phase["phase 1"] + by_phase["phase 2"]) / n
        split = ", ".join(f"{k} {v / n:.2f}" for k, v in sorted(by_phase.items()))
        print(f"{strategy.value:>12}: committed {n:,}/{len(run.commands):,} "
              f"(consistent logs: {len({tuple(v) for v in run.logs.values()}) == 1}); "
              f"{n / seconds:,.0f} commands/s wall-clock ({seconds:.1f} s, "
              f"{len(run.records):,} events); {n / run.end_time:.3f} commands per unit of "
              f"simulated time")
        print(f"{'':>12}  messages per command {per_command[strategy]:.2f} ({split})")
    p, m = Strategy.PAXOS, Strategy.MULTI_PAXOS
    print(f"Multi-Paxos sends {consensus[p] / consensus[m]:.2f}x fewer phase-1-and-2 messages "
          f"per command ({consensus[p]:.2f} vs {consensus[m]:.2f}) and "
          f"{per_command[p] / per_command[m]:.2f}x fewer messages in all "
          f"({per_command[p]:.2f} vs {per_command[m]:.2f}; the learners' share is the same)")


if __name__ == "__main__":
    main()
