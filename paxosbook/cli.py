"""``python -m paxosbook SUBCOMMAND``: run, show, sweep, log, check, strip-outputs."""

from __future__ import annotations

import importlib
from collections.abc import Sequence

from .commands.args import Parser

SUBCOMMANDS = ["run", "show", "sweep", "log", "check", "strip"]
"""Modules of ``paxosbook.commands``, in the order ``--help`` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = Parser(prog="paxosbook", description="See Basic Paxos work and break.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=Parser)
    for name in SUBCOMMANDS:
        importlib.import_module(f"paxosbook.commands.{name}").add_parser(sub)
    args = parser.parse_args(argv)
    return int(args.main(args))
