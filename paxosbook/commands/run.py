"""``paxosbook run``: simulate one run and print its summary (or JSON, or save the trace)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..config import Config
from ..core import Mutant, UsageError
from ..network import Crash, Partition
from ..sim import simulate
from ..summary import timeouts_at_replies
from .args import (
    FlagError,
    add_network_flags,
    parse_delay,
    parse_quorums,
    report,
    write_trace,
)

FLAGS = {"acceptors": "--acceptors", "proposers": "--proposers", "learners": "--learners",
         "colocated": "--colocated", "values": "--values", "q1": "--q1", "q2": "--q2",
         "quorums": "--quorums", "drop": "--drop", "duplicate": "--duplicate",
         "delay": "--delay", "delay_mean": "--delay", "delay_jitter": "--delay",
         "timeout": "--timeout", "backoff": "--backoff", "backoff_base": "--backoff",
         "backoff_window": "--backoff", "max_attempts": "--max-attempts",
         "start_offset": "--start-offset",
         "crashes": "--crash", "partitions": "--partition", "random_crashes": "--random-crashes",
         "max_time": "--max-time", "max_messages": "--max-messages", "mutants": "--mutant",
         "seed": "--seed", "unsafe": "--unsafe"}


BACKOFF_FORMS = "none, fixed[:BASE], exponential[:BASE] or discrete[:BASE[:WINDOW]]"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("run", help="simulate one Basic Paxos run",
                       description="Simulate one Basic Paxos run and print its summary.")
    p.add_argument("--acceptors", type=int, default=3)
    p.add_argument("--proposers", type=int, default=1)
    p.add_argument("--learners", type=int, default=2)
    p.add_argument("--colocated", action="store_true",
                   help="nodes n1.. each host an acceptor and a learner, the first ones a proposer")
    p.add_argument("--values", help="comma-separated values, one per proposer")
    p.add_argument("--q1", type=int, default=0, help="phase-1 quorum size (Flexible Paxos)")
    p.add_argument("--q2", type=int, default=0, help="phase-2 quorum size (Flexible Paxos)")
    p.add_argument("--quorums", help="explicit quorums, e.g. a1+a2,a1+a3,a2+a3")
    p.add_argument("--unsafe", action="store_true", help="allow non-intersecting quorums")
    p.add_argument("--backoff", default="exponential", help=BACKOFF_FORMS)
    p.add_argument("--max-attempts", type=int, default=0)
    p.add_argument("--random-crashes", type=int, default=0)
    p.add_argument("--mutant", action="append", default=[],
                   choices=[m.value for m in Mutant], help="plant a named bug (for teaching)")
    p.add_argument("--trace", metavar="FILE", help="save the whole run (JSON) to FILE")
    add_network_flags(p, max_messages=100_000)
    p.set_defaults(main=main)


def config_from(args: argparse.Namespace) -> Config:
    backoff, _, rest = args.backoff.partition(":")
    base, _, window = rest.partition(":")
    fields: dict[str, Any] = dict(
        acceptors=args.acceptors, proposers=args.proposers, learners=args.learners,
        colocated=args.colocated, q1=args.q1, q2=args.q2, unsafe=args.unsafe, drop=args.drop,
        duplicate=args.duplicate, timeout=args.timeout, backoff=backoff,
        max_attempts=args.max_attempts, start_offset=args.start_offset,
        crashes=tuple(Crash.parse(c) for c in args.crash),
        partitions=tuple(Partition.parse(p) for p in args.partition),
        random_crashes=args.random_crashes, max_time=args.max_time,
        max_messages=args.max_messages, mutants=tuple(args.mutant), **parse_delay(args.delay))
    try:
        if base:
            fields["backoff_base"] = float(base)
        if window:
            if backoff != "discrete":
                raise ValueError("only the discrete backoff has a window")
            fields["backoff_window"] = int(window)
    except ValueError:
        raise FlagError("--backoff", BACKOFF_FORMS, args.backoff) from None
    if args.values:
        fields["values"] = tuple(args.values.split(","))
    if args.quorums:
        fields["quorums"] = parse_quorums(args.quorums)
    return Config(**fields)


def main(args: argparse.Namespace) -> int:
    try:
        config = config_from(args)
        run = simulate(config, seed=args.seed)
    except (UsageError, FlagError) as exc:
        report(exc, FLAGS, "paxosbook run")
    summary = run.summary()
    if args.trace:
        write_trace(args.trace, run, FLAGS, "paxosbook run")
    if args.json:
        print(json.dumps(summary.as_dict()))
    else:
        print(summary)
        for v in run.violations:
            print(f"  {v}")
        ties = 0 if summary.decided else timeouts_at_replies(run)
        if ties:
            print(f"  {ties} phase timeout(s) fired at the very instant a reply arrived: of a "
                  "timer and a message due at the same time, the one scheduled first (the "
                  "timer) runs first")
    return 0 if not summary.violations or config.is_unsafe else 1
