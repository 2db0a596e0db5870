"""``paxosbook check``: explore every state of a small Paxos model and report what breaks.

Exit status, as for TLC: 0 when no property is violated, 1 when one is (a planted bug or
non-intersecting quorums make a violation expected, but it is still a finding) or when a
complete search never meets a sometimes-property ("a value is chosen": a model that never
decides fails), 2 for bad usage.

Examples::

    python -m paxosbook check --model tla --acceptors 3 --values 2 --max-ballot 1 --json
    python -m paxosbook check --model actors --values 2 --max-ballot 0 --mutant reuse-ballot
    python -m paxosbook check --model tla --crashed a2,a3    # never decides: exit 1
    python -m paxosbook check --list-mutants
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..check.api import MAX_STATES, MODELS, build_model, intersects, state_limit
from ..check.engine import explore
from ..check.replay import checker_document
from ..check.scenarios import NONE, SCENARIOS
from ..core import UsageError
from .args import FlagError, parse_quorums, report

FLAGS = {"model": "--model", "acceptors": "--acceptors", "values": "--values",
         "proposers": "--values", "max_ballot": "--max-ballot", "quorums": "--quorums",
         "quorums2": "--q2", "q1": "--q1", "q2": "--q2", "mutant": "--mutant",
         "mutants": "--mutant", "network": "--network", "restarts": "--restarts",
         "learners": "--learners", "max_attempts": "--max-attempts", "order": "--dfs",
         "max_states": "--max-states", "max_seconds": "--max-seconds",
         "symmetry": "--symmetry", "unsafe": "--quorums", "crashed": "--crashed",
         "por": "--por", "vectorised": "--vectorised"}
PROG = "paxosbook check"
EXIT_STATUS = ("Exit status: 0 when no property is violated (in the states explored: see "
               "'complete'), 1 when one is or when a complete search never meets a sometimes "
               "property (a value is chosen, ...), 2 for bad usage. A violation is a finding, "
               "also with --mutant or non-intersecting quorums (as for TLC).")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "check", help="model-check every interleaving of a small Paxos",
        description="Explore every reachable state of Lamport's TLA+ Paxos (--model tla) or of "
                    "this package's own roles (--model actors); report TLC's figures and a "
                    "shortest counterexample for any property violated.",
        epilog=EXIT_STATUS)
    p.add_argument("--model", default="tla", help="tla or actors (default tla)")
    p.add_argument("--acceptors", type=int, default=3)
    p.add_argument("--values", type=int, default=2,
                   help="values (tla); proposers, one value each (actors)")
    p.add_argument("--max-ballot", type=int, default=1,
                   help="ballots 0..N (tla); actors: N+1 ballots per proposer unless "
                        "--max-attempts")
    p.add_argument("--quorums", help="explicit quorums, e.g. a1+a2,a1+a3,a2+a3")
    p.add_argument("--q1", type=int, default=0, help="phase-1 quorum size (Flexible Paxos)")
    p.add_argument("--q2", type=int, default=0, help="phase-2 quorum size (Flexible Paxos)")
    p.add_argument("--mutant", help="plant a named bug (see --list-mutants)")
    p.add_argument("--crashed", help="acceptors down for good, e.g. a2,a3 (too few left for a "
                                     "quorum: nothing is ever chosen)")
    p.add_argument("--list-mutants", action="store_true", help="list the bugs and exit")
    p.add_argument("--symmetry", action="store_true",
                   help="merge states equal up to renaming acceptors (and values, tla); "
                        "strongly advised for --model actors")
    p.add_argument("--por", action=argparse.BooleanOptionalAction, default=None,
                   help="actors, breadth-first: partial-order reduction by sleep sets (the "
                        "same states and figures, fewer successors built; on by default "
                        "where it applies, --no-por for the plain search)")
    p.add_argument("--vectorised", action=argparse.BooleanOptionalAction, default=None,
                   help="actors, with sleep sets: search a level at a time as arrays from "
                        "the first level of 2,000 states (the same states, figures and "
                        "paths, about twice as fast; on by default where it applies, "
                        "--no-vectorised for the Python loop throughout)")
    p.add_argument("--max-states", type=int,
                   help="stop after about this many distinct states (checked every 512; "
                        f"default and limit {MAX_STATES:,})")
    p.add_argument("--max-seconds", type=float, help="stop after this many seconds")
    p.add_argument("--dfs", action="store_true", help="depth-first instead of breadth-first")
    p.add_argument("--keep-going", action="store_true",
                   help="go on after a violation (first counterexample of each property)")
    p.add_argument("--network", default="set", help="actors: set (loss and duplication) or "
                                                    "multiset (loss only)")
    p.add_argument("--restarts", type=int, help="actors: acceptor crash-restarts allowed")
    p.add_argument("--learners", type=int, default=1, help="actors: learners")
    p.add_argument("--max-attempts", type=int, help="actors: ballots per proposer")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--trace", metavar="FILE",
                   help="save the first counterexample as a run (paxosbook show FILE replays it)")
    p.set_defaults(main=main)


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    if args.model not in MODELS:
        raise FlagError("--model", "one of " + ", ".join(MODELS), args.model)
    params: dict[str, Any] = {
        "acceptors": args.acceptors, "values": args.values, "max_ballot": args.max_ballot,
        "q1": args.q1, "q2": args.q2, "mutant": args.mutant,
        "quorums": parse_quorums(args.quorums) if args.quorums else None,
        "crashed": tuple(n for n in args.crashed.split(",") if n) if args.crashed else ()}
    actor_flags = {"network": (args.network, "set"), "restarts": (args.restarts, None),
                   "learners": (args.learners, 1), "max_attempts": (args.max_attempts, None)}
    for name, (value, default) in actor_flags.items():
        if args.model == "actors":
            params[name] = value
        elif value != default:
            raise FlagError(FLAGS[name], "used with --model actors only", value)
    return params


def main(args: argparse.Namespace) -> int:
    if args.list_mutants:
        for name, s in SCENARIOS.items():
            if name != NONE:
                print(f"{name}  {s.description}")
        return 0
    try:
        params = _parameters(args)
        model = build_model(args.model, **params)
        names = [f"a{i + 1}" for i in range(args.acceptors)]
        if not intersects(names, params["quorums"], params["q1"], params["q2"]) \
                or args.mutant == "non-intersecting-quorums":
            print(f"{PROG}: warning: phase-1 and phase-2 quorums do not all intersect; "
                  "safety is not guaranteed (looking for the violation)", file=sys.stderr)
        result = explore(model, order="dfs" if args.dfs else "bfs", symmetry=args.symmetry,
                         por=args.por, max_states=state_limit(args.max_states),
                         max_seconds=args.max_seconds,
                         stop_on_violation=not args.keep_going, vectorised=args.vectorised)
    except (UsageError, FlagError) as exc:
        report(exc, FLAGS, PROG)
    if args.trace and result.violations:
        _save(args.trace, checker_document(args.model, params, result.violations[0]))
    if args.json:
        print(json.dumps(result.as_dict()))
    else:
        print(result)
    return 0 if result.ok else 1


def _save(path: str, text: str) -> None:
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        report(FlagError("--trace", "a writable file path", f"{path} ({exc.strerror})"),
               FLAGS, PROG)
