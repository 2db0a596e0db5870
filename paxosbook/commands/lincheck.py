"""``paxosbook lincheck FILE --model register|kv``: is this history linearizable?

Reads a history in Jepsen's log format, as EDN maps or as JSON lines (see
``paxosbook.linearizability.history``) and checks it against a register or a key-value model.
Exit status 0 when linearizable, 1 when not (or when the search limit was reached first, which
is said), 2 for bad input: a missing file, a malformed line (with its number), a bad flag.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..core import FormatError, UsageError
from ..linearizability import MODELS, check, read_history
from ..linearizability.search import DEFAULT_MAX_STATES
from .args import fail

PROG = "paxosbook lincheck"


def add_parser(sub: Any) -> None:
    p = sub.add_parser("lincheck", help="check that a history of operations is linearizable",
                       description="Check a history (Jepsen log, EDN maps or JSON lines) "
                                   "against a register or key-value model: exit 0 when "
                                   "linearizable, 1 when not, 2 for bad input.")
    p.add_argument("file")
    p.add_argument("--model", default="register", help=" or ".join(MODELS))
    p.add_argument("--max-states", type=int, default=DEFAULT_MAX_STATES,
                   help="configurations the search may cache per key (bounds memory)")
    p.add_argument("--json", action="store_true",
                   help='print {"linearizable": ..., "operations": ..., "seconds": ...}')
    p.set_defaults(main=main)


def main(args: argparse.Namespace) -> int:
    if args.model not in MODELS:
        fail(f"{PROG}: --model: must be {' or '.join(MODELS)}; got {args.model!r}")
    if args.max_states < 1:
        fail(f"{PROG}: --max-states: must be a positive integer; got {args.max_states}")
    try:
        history = read_history(args.file)
        result = check(history, args.model, max_states=args.max_states)
    except OSError as exc:
        fail(f"{PROG}: FILE: must be a readable file; got {args.file!r} ({exc.strerror})")
    except (FormatError, UsageError) as exc:
        fail(f"{PROG}: {args.file}: {exc}")
    print(json.dumps(result.to_dict()) if args.json else result)
    return 0 if result.linearizable else 1
