"""``paxosbook show FILE``: load a saved run, print its summary, and check it reproduces.

A run saved by ``run --trace`` is re-simulated from its config and seed; a counterexample
saved by ``check --trace`` is replayed through the checker's model (``check.replay``). Either
way the new trace is compared with the event rows exactly as the file stores them. A run of
real processes saved by ``cluster --trace`` is summarised only: it says it cannot be
re-simulated (exit 0).
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..check.model import COUNTEREXAMPLE
from ..check.replay import CHECKER, replay
from ..core import FormatError
from ..sim import simulate
from ..trace import MAX_RUN_BYTES, Run, read_document, stored_digest
from .args import fail

REAL = "runtime"
"""The key of a run of real processes (``paxosbook cluster --trace``), which no simulation
reproduces."""
REAL_RUN = ("not applicable: a run of real processes (paxosbook cluster) cannot be "
            "re-simulated; its events are what the nodes logged")

PROG = "paxosbook show"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("show", help="summarise a saved run and re-simulate it",
                       description="Load a run saved with `run --trace FILE` (or a "
                                   "counterexample saved with `check --trace FILE`), print its "
                                   "summary and check that re-simulating its config and seed "
                                   "(or replaying the counterexample through the checker's "
                                   "model) gives the same trace, byte for byte. Files larger "
                                   f"than {MAX_RUN_BYTES // 2**20} MiB are refused.")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    try:
        doc = read_document(args.file)
        run = Run.from_document(doc)
        same = _reproduces(doc, run)
    except OSError as exc:
        fail(f"{PROG}: FILE: must be a readable file; got {args.file!r} ({exc.strerror})")
    except FormatError as exc:
        fail(f"{PROG}: {args.file}: {exc}")
    summary = run.summary()
    if REAL in doc:  # a run of real processes: nothing to re-simulate
        print(json.dumps({**summary.as_dict(), "reproduced": None}) if args.json
              else f"{summary}\nreproduced: {REAL_RUN}")
        return 0
    if args.json:
        print(json.dumps({**summary.as_dict(), "reproduced": same}))
    else:
        print(summary)
        print("reproduced: " + VERDICTS[same])
    return 0 if same else 1


VERDICTS = {True: "yes, identical trace", False: "NO, the trace differs",
            None: "cannot tell: a counterexample saved without the checker's model (by an "
                  "older paxosbook); save it again with `check --trace FILE`"}


def _reproduces(doc: dict[str, Any], run: Run) -> bool | None:
    """Does a new run give the rows the file stores? The checker's model replays a
    counterexample, the simulator anything else; ``None`` for a counterexample saved before
    files said which model found it."""
    if CHECKER in doc:
        again = replay(doc[CHECKER], doc["events"])
        return again is not None and again.trace_digest() == stored_digest(doc)
    if run.stop_reason == COUNTEREXAMPLE:
        return None
    return simulate(run.config, seed=run.seed).trace_digest() == stored_digest(doc)
