"""Parsing helpers shared by the subcommands: one-line errors, exit status 2.

Every bad flag ends the program with status 2 and one line naming the flag, the allowed form or
range and the value given; ``UsageError`` s raised while building a ``Config`` are reported the
same way, with the config field translated back to its flag.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

from ..core import UsageError
from ..network import CRASH_FORM, PARTITION_FORM

if TYPE_CHECKING:
    from ..trace import Run


class FlagError(UsageError):
    """A bad command-line flag: a ``UsageError`` whose ``field`` is the flag itself."""


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: {message}")


def fail(line: str) -> NoReturn:
    print(line, file=sys.stderr)
    raise SystemExit(2)


def number(flag: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise FlagError(flag, "a number", text) from None


def parse_delay(text: str) -> dict[str, object]:
    """``const:MEAN``, ``uniform:MEAN[:JITTER]`` or ``exp:MEAN[:JITTER]``."""
    names = {"const": "constant", "constant": "constant", "uniform": "uniform",
             "exp": "exponential", "exponential": "exponential"}
    parts = text.split(":")
    if parts[0] not in names or not 2 <= len(parts) <= 3:
        raise FlagError("--delay", "const:MEAN, uniform:MEAN[:JITTER] or exp:MEAN[:JITTER]", text)
    out: dict[str, object] = {"delay": names[parts[0]],
                              "delay_mean": number("--delay", parts[1])}
    if len(parts) == 3:
        out["delay_jitter"] = number("--delay", parts[2])
    return out


def parse_quorums(text: str) -> tuple[tuple[str, ...], ...]:
    """``a1+a2,a1+a3,a2+a3``: comma-separated quorums, members joined by ``+``."""
    quorums = tuple(tuple(m for m in q.split("+") if m) for q in text.split(","))
    if not all(quorums):
        raise FlagError("--quorums", "comma-separated quorums like a1+a2,a2+a3", text)
    return quorums


def add_network_flags(p: argparse.ArgumentParser, *, max_messages: int) -> None:
    """The network, fault-schedule and limit flags that ``run`` and ``log`` share."""
    p.add_argument("--drop", type=float, default=0.0)
    p.add_argument("--duplicate", type=float, default=0.0)
    p.add_argument("--delay", default="uniform:1.0",
                   help="const:MEAN, uniform:MEAN[:JITTER] or exp:MEAN[:JITTER]")
    p.add_argument("--timeout", type=float, default=4.0)
    p.add_argument("--start-offset", type=float, default=0.0)
    p.add_argument("--crash", action="append", default=[], metavar="NODE@T[:RECOVER_T]",
                   help=f"crash a node: {CRASH_FORM}")
    p.add_argument("--partition", action="append", default=[], metavar="A,B|C,D@T1[:T2]",
                   help=f"cut the links between groups: {PARTITION_FORM}")
    p.add_argument("--max-time", type=float, default=1000.0)
    p.add_argument("--max-messages", type=int, default=max_messages)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")


def report(exc: UsageError, flags: dict[str, str], prog: str) -> NoReturn:
    """Exit 2 with the error on one line, the config field named by its flag."""
    if not isinstance(exc, FlagError):
        field = exc.field.split(".")[0]
        flag = flags.get(field, "--" + field.replace("_", "-"))
        fail(f"{prog}: {flag}: must be {exc.allowed}; got {exc.given!r}")
    fail(f"{prog}: {exc}")


def write_trace(path: str, run: Run, flags: dict[str, str], prog: str) -> None:
    """Save ``run`` as JSON at ``path`` (``--trace``); an unwritable path exits 2."""
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(run.to_json())
    except OSError as exc:
        report(FlagError("--trace", "a writable file path", f"{path} ({exc.strerror})"),
               flags, prog)


def interrupt_on_sigterm() -> None:
    """Make SIGTERM raise ``KeyboardInterrupt``: a command that starts processes cleans up
    after ``kill`` as after Ctrl-C."""
    signal.signal(signal.SIGTERM, _interrupt)


def _interrupt(signum: int, frame: Any) -> NoReturn:
    raise KeyboardInterrupt
