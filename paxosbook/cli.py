"""``python -m paxosbook SUBCOMMAND``: run, show, validate, sweep, log, check, lincheck, cluster,
kv, lab, strip-outputs."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from .commands.args import Parser

SUBCOMMANDS = ["run", "show", "validate", "sweep", "log", "check", "lincheck", "cluster", "kv",
               "lab", "strip"]
"""Modules of ``paxosbook.commands``, in the order ``--help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="paxosbook", description="See Basic Paxos work and break.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    for name in SUBCOMMANDS:
        importlib.import_module(f"paxosbook.commands.{name}").add_parser(sub)
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "pass_through", False):  # only `lab` passes flags on
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    return int(args.main(args))
