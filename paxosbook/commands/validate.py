"""``paxosbook validate FILE``: is a saved run a behaviour of Lamport's Paxos specification?

Reads a run saved by ``run --trace`` or a counterexample saved by ``check --trace``, or the
directory of a KV store run (``kv --data DIR``: its nodes' Paxos traces, ``kv.trace``), and
validates it event by event against ``Paxos.tla`` (``paxosbook.check.validate``). Exit status
0: valid; 1: rejected (the first event no spec step explains, and for each candidate spec
state the conjunct that fails); 2: the file cannot be read or is not a saved run (one line).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..check.refinement import validate
from ..core import FormatError, UsageError
from ..trace import MAX_RUN_BYTES, Run, read_document
from .args import fail

PROG = "paxosbook validate"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check that a saved run is a behaviour of Paxos.tla",
                       description="Validate a run saved with `run --trace FILE` (or a "
                                   "counterexample saved with `check --trace FILE`) against "
                                   "Lamport's Paxos.tla: every event must be explained by a "
                                   "spec step (Prepare: Phase1a, Promise: Phase1b, Accept: "
                                   "Phase2a, acceptance: Phase2b, learning: a quorum of 2b "
                                   "messages). FILE may also be the directory of a KV store "
                                   "run (`kv --data DIR`), validated slot by slot. Exit 0 "
                                   "valid, 1 rejected, 2 bad input. Files larger than "
                                   f"{MAX_RUN_BYTES // 2**20} MiB are refused.")
    p.add_argument("file", help="a saved run, or a `kv --data` directory")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    try:
        if Path(args.file).is_dir():
            from ..kv.trace import collect_dir
            result = validate(collect_dir(args.file))
        else:
            result = validate(Run.from_document(read_document(args.file)))
    except OSError as exc:
        fail(f"{PROG}: FILE: must be a readable file; got {args.file!r} ({exc.strerror})")
    except (FormatError, UsageError) as exc:
        fail(f"{PROG}: {args.file}: {exc}")
    print(json.dumps(result.to_dict(), ensure_ascii=False) if args.json else result)
    return 0 if result.ok else 1
