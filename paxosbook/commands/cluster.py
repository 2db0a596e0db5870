"""``paxosbook cluster``: Basic Paxos on real processes, with a nemesis (``paxosbook.net``).

Starts one OS process per node on 127.0.0.1 (UDP, SQLite), plays the nemesis's faults for
``--duration`` seconds, merges the nodes' events into one run and prints what happened. Every
process is gone when the command ends, fails or is interrupted. Exit 0 when the safety
properties hold (or bugs were planted on purpose), 1 when one is violated or a node process
failed by itself (one line naming it), 2 for a bad flag.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core import Mutant, UsageError
from ..net.cluster import NodeFailure, run_cluster
from ..net.nemesis import KINDS
from ..network import CRASH_FORM, PARTITION_FORM
from .args import FlagError, interrupt_on_sigterm, number, report, write_trace

PROG = "paxosbook cluster"
FLAGS = {"acceptors": "--acceptors", "proposers": "--proposers", "learners": "--learners",
         "duration": "--duration", "nemesis": "--nemesis", "seed": "--seed",
         "timeout": "--timeout", "mutants": "--mutant", "data": "--data",
         "crashes": "--crash", "partitions": "--partition", "start_times": "--start-times"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("cluster", help="run Basic Paxos on real processes with a nemesis",
                       description="Run one OS process per node on 127.0.0.1 (UDP, durable "
                                   "state in SQLite) for DURATION seconds under the nemesis: "
                                   "kill -9 and restart, partitions, loss, duplication, delay. "
                                   "Prints decided, value, messages_sent, kills, restarts and "
                                   "violations.")
    p.add_argument("--acceptors", type=int, default=5)
    p.add_argument("--proposers", type=int, default=2)
    p.add_argument("--learners", type=int, default=1)
    p.add_argument("--colocated", action="store_true",
                   help="nodes n1.. each host an acceptor and a learner, the first a proposer")
    p.add_argument("--duration", type=float, default=20.0, help="seconds")
    p.add_argument("--nemesis", default="", help="comma-separated kinds from " + ", ".join(KINDS))
    p.add_argument("--allow-majority", action="store_true",
                   help="let the nemesis kill a majority of the acceptors at once")
    p.add_argument("--timeout", type=float, default=0.5, help="a proposer's phase timeout, s")
    p.add_argument("--mutant", action="append", default=[],
                   choices=[m.value for m in Mutant], help="plant a named bug")
    p.add_argument("--crash", action="append", default=[], metavar="NODE@T[:RECOVER_T]",
                   help=f"kill -9 a node, besides the nemesis's: {CRASH_FORM}")
    p.add_argument("--partition", action="append", default=[], metavar="A,B|C,D@T1[:T2]",
                   help=f"cut the links between groups: {PARTITION_FORM}")
    p.add_argument("--start-times", metavar="T,T,...", default="",
                   help="when each proposer starts, seconds (default: all at once)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", metavar="DIR", help="keep each node's SQLite and event files here")
    p.add_argument("--trace", metavar="FILE", help="save the merged run (JSON) to FILE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    interrupt_on_sigterm()
    for flag, value in (("--acceptors", args.acceptors), ("--proposers", args.proposers),
                        ("--learners", args.learners)):
        if not 1 <= value <= 9:
            report(FlagError(flag, "an integer in [1, 9] (one process each)", value), FLAGS, PROG)
    try:
        starts = [number("--start-times", t) for t in args.start_times.split(",") if t]
        run = run_cluster(acceptors=args.acceptors, proposers=args.proposers,
                          learners=args.learners, duration=args.duration,
                          nemesis=args.nemesis, seed=args.seed, data=args.data,
                          allow_majority=args.allow_majority, mutants=args.mutant,
                          timeout=args.timeout, colocated=args.colocated,
                          crashes=args.crash, partitions=args.partition, start_times=starts)
    except UsageError as exc:
        report(exc, FLAGS, PROG)
    except NodeFailure as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; every node process was stopped")
        return 130
    if args.trace:
        write_trace(args.trace, run, FLAGS, PROG)
    out = run.report()
    if args.json:
        print(json.dumps(out))
    else:
        print(run.summary(digest=False))
        print(f"kills {out['kills']}, restarts {out['restarts']}")
        if out["faults"]:
            print("transport windows: " + ", ".join(out["faults"]))
        for v in out["violations"]:
            print(f"  {v}")
    return 0 if not out["violations"] or run.config.is_unsafe else 1
