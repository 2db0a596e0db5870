"""``paxosbook show FILE``: load a saved run, print its summary, and check it reproduces."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import FormatError
from ..sim import simulate
from ..trace import Run
from .args import fail


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="summarise a saved run and re-simulate it",
                       description="Load a run saved with `run --trace FILE`, print its "
                                   "summary and check that re-simulating its config and seed "
                                   "gives the same trace, byte for byte.")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    try:
        with open(args.file, encoding="utf-8") as fh:
            run = Run.from_json(fh.read())
    except OSError as exc:
        fail(f"paxosbook show: FILE: must be a readable file; got {args.file!r} ({exc.strerror})")
    except FormatError as exc:
        fail(f"paxosbook show: {args.file}: {exc}")
    again = simulate(run.config, seed=run.seed)
    same = again.trace_digest() == run.trace_digest()
    summary = run.summary()
    if args.json:
        print(json.dumps({**summary.as_dict(), "reproduced": same}))
    else:
        print(summary)
        print("reproduced: " + ("yes, identical trace" if same else "NO, the trace differs"))
    return 0 if same else 1
