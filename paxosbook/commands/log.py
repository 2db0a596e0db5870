"""``paxosbook log``: replicate a log with one strategy and print every replica's log.

    python -m paxosbook log --commands A:add,B:jmp,C:cmp,D:sub --strategy paxos \\
        [--replicas 3] [--drop P] [--crash NODE@T[:RECOVER_T]] --seed S [--json]

prints each replica's log and whether the logs are consistent, how many commands are on every
replica (committed), whether the run stopped with some not (blocked) and the messages sent.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import UsageError
from ..network import MAX_MESSAGES, Crash, Partition
from ..replication import LogConfig, LogRun, Strategy, parse_commands, run_log
from .args import FlagError, add_network_flags, parse_delay, report

PROG = "paxosbook log"
FLAGS = {"commands": "--commands", "strategy": "--strategy", "replicas": "--replicas",
         "drop": "--drop", "duplicate": "--duplicate", "delay": "--delay",
         "delay_mean": "--delay", "delay_jitter": "--delay", "timeout": "--timeout",
         "crashes": "--crash", "partitions": "--partition", "start_offset": "--start-offset",
         "max_time": "--max-time", "max_messages": "--max-messages", "seed": "--seed"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "log", help="replicate a log of commands with one strategy",
        description="Proposers want their commands logged on every replica in one order. "
                    "Simulate one strategy and print each replica's log, whether the logs are "
                    "consistent, the commands committed on every replica, whether the run is "
                    "blocked and the messages sent.")
    p.add_argument("--commands", default="A:add,B:jmp,C:cmp,D:sub",
                   help="PROPOSER:COMMAND pairs (default: %(default)s)")
    p.add_argument("--strategy", default="paxos",
                   help="|".join(s.value for s in Strategy) + " (default: %(default)s)")
    p.add_argument("--replicas", type=int, default=3)
    add_network_flags(p, max_messages=MAX_MESSAGES)
    p.set_defaults(main=main)


def config_from(args: argparse.Namespace) -> LogConfig:
    fields: dict[str, Any] = dict(
        commands=parse_commands(args.commands), replicas=args.replicas, drop=args.drop,
        duplicate=args.duplicate, timeout=args.timeout, start_offset=args.start_offset,
        crashes=tuple(Crash.parse(c) for c in args.crash),
        partitions=tuple(Partition.parse(p) for p in args.partition),
        max_time=args.max_time, max_messages=args.max_messages, **parse_delay(args.delay))
    return LogConfig(**fields)


def main(args: argparse.Namespace) -> int:
    try:
        strategy = Strategy.parse(args.strategy)
        run = run_log(strategy, config_from(args), args.seed)
    except (UsageError, FlagError) as exc:
        report(exc, FLAGS, PROG)
    if args.json:
        print(json.dumps(run.summary().as_dict()))
    else:
        print(describe(run))
    return 0


def describe(run: LogRun) -> str:
    s = run.summary()
    per = f" ({s.messages_per_command:.1f} per command)" if s.messages_per_command else ""
    when = (f"; all committed at t={s.time_to_commit_all:.2f}" if s.time_to_commit_all
            is not None else f"; stopped: {s.stop_reason}")
    lines = [f"{s.strategy}: {'consistent' if s.consistent else 'INCONSISTENT'}; committed "
             f"{s.committed}/{s.commands}{' (blocked)' if s.blocked else ''}; "
             f"{s.messages} messages{per}{when}"]
    width = max(len(r) for r in s.logs)
    for replica, log in s.logs.items():
        down = "" if replica in run.up else "  (crashed)"
        lines.append(f"  {replica:<{width}}  {' '.join(log) if log else '(empty)'}{down}")
    lines.extend(f"  {v['property']}: {v['message']}" for v in s.violations[:5])
    if len(s.violations) > 5:
        lines.append(f"  ... and {len(s.violations) - 5} more violation(s)")
    return "\n".join(lines)
