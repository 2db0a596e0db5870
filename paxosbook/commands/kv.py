"""``paxosbook kv``: a replicated key-value store on Multi-Paxos, on real processes.

Starts one OS process per node on 127.0.0.1 (UDP, SQLite), runs ``--clients`` clients for
``--duration`` seconds under the nemesis, checks the history for linearizability and the final
state for lost acknowledged writes, and prints what happened. Every process is gone when the
command ends, fails or is interrupted. Exit 0 when the history is linearizable, no
acknowledged write was lost, the replicas agree and the nodes' Paxos trace is a behaviour of
``Paxos.tla`` (``valid``); 1 otherwise (also with a planted bug, whose
run is expected to fail) or when a node process failed by itself; 2 for a bad flag.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..core import UsageError
from ..kv.node import MUTANTS
from ..kv.run import KINDS, run_kv
from ..net.cluster import NodeFailure
from .args import FlagError, interrupt_on_sigterm, report

PROG = "paxosbook kv"
SHOWN = 12
"""Lines of a linearizability violation printed (the failing part can be long)."""
FLAGS = {"nodes": "--nodes", "clients": "--clients", "duration": "--duration",
         "nemesis": "--nemesis", "keys": "--keys", "seed": "--seed", "data": "--data",
         "mutant": "--mutant", "history": "--history"}


def add_parser(sub: Any) -> None:
    p = sub.add_parser("kv", help="run a replicated key-value store on Multi-Paxos",
                       description="Run a key-value store replicated by Multi-Paxos on one OS "
                                   "process per node (UDP on 127.0.0.1, SQLite), with clients "
                                   "issuing get/put/append/cas, under the nemesis; check the "
                                   "history for linearizability and count lost acknowledged "
                                   "writes.")
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--clients", type=int, default=10)
    p.add_argument("--duration", type=float, default=30.0, help="seconds")
    p.add_argument("--nemesis", default="", help="comma-separated kinds from " + ", ".join(KINDS))
    p.add_argument("--keys", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--data", metavar="DIR", help="keep each node's SQLite file here")
    p.add_argument("--history", metavar="FILE",
                   help="write the history as JSON lines (paxosbook lincheck --model kv)")
    p.add_argument("--mutant", default="", choices=MUTANTS, help="plant a named bug")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    interrupt_on_sigterm()
    if args.history:
        try:
            open(args.history, "w").close()
        except OSError as exc:
            report(FlagError("--history", "a writable file path",
                             f"{args.history} ({exc.strerror})"), FLAGS, PROG)
    try:
        run = run_kv(nodes=args.nodes, clients=args.clients, duration=args.duration,
                     nemesis=args.nemesis, keys=args.keys, seed=args.seed, data=args.data,
                     mutant=args.mutant, history=args.history)
    except UsageError as exc:
        report(exc, FLAGS, PROG)
    except NodeFailure as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; every node process was stopped")
        return 130
    out = run.report()
    if args.json:
        print(json.dumps(out))
    else:
        for key, value in out.items():
            print(f"{key:<26} {value}")
        if run.verdict.linearizable is False:
            lines = str(run.verdict).splitlines()
            print("\n".join(lines[:SHOWN]))
            if len(lines) > SHOWN:
                print(f"  ... {len(lines) - SHOWN} more (--history FILE, then paxosbook "
                      "lincheck FILE --model kv)")
        for line in run.dishonoured[:5] + run.disagreements[:5]:
            print(f"  {line}")
    good = (out["linearizable"] and not out["lost_acknowledged_writes"]
            and out["replicas_agree"] and not out["dishonoured_promises"]
            and not out["slot_disagreements"] and out["valid"])
    return 0 if good else 1
