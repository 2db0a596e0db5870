"""The fault schedule as text, in the command line's syntax.

Crashes: ``NODE@T`` or ``NODE@T:RECOVER_T``; partitions: ``A,B|C,D@T1`` or ``A,B|C,D@T1:T2``.
Several entries are separated by ``;`` or spaces. A malformed entry raises ``UsageError``
naming the field (``crashes`` or ``partitions``), the expected form and the entry; whether the
nodes exist is the config's business (it knows the cluster).
"""

from __future__ import annotations

import re

from ..config import Crash, Partition
from ..core import UsageError

CRASH_FORM = "entries like a1@2:8 (NODE@T[:RECOVER_T]) separated by ; or spaces"
PARTITION_FORM = ("entries like a1,p1|a2,a3@1:6 (GROUP|GROUP[|...]@T1[:T2], nodes joined by "
                  "commas) separated by ; or spaces")


def _entries(text: str) -> list[str]:
    return [e for e in re.split(r"[;\s]+", text.strip()) if e]


def _number(field: str, form: str, entry: str, text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(field, form, entry) from None


def _times(field: str, form: str, entry: str, text: str) -> tuple[float, float | None]:
    start, colon, stop = text.partition(":")
    if colon and not stop:
        raise UsageError(field, form, entry)
    return (_number(field, form, entry, start),
            _number(field, form, entry, stop) if stop else None)


def parse_crashes(text: str) -> tuple[Crash, ...]:
    out = []
    for entry in _entries(text):
        node, at_sign, times = entry.partition("@")
        if not at_sign or not re.fullmatch(r"\w+", node):
            raise UsageError("crashes", CRASH_FORM, entry)
        at, recover = _times("crashes", CRASH_FORM, entry, times)
        out.append(Crash(node, at, recover))
    return tuple(out)


def parse_partitions(text: str) -> tuple[Partition, ...]:
    out = []
    for entry in _entries(text):
        groups_text, at_sign, times = entry.partition("@")
        groups = tuple(tuple(n for n in g.split(",") if n) for g in groups_text.split("|"))
        if not at_sign or len(groups) < 2 or not all(groups):
            raise UsageError("partitions", PARTITION_FORM, entry)
        start, end = _times("partitions", PARTITION_FORM, entry, times)
        out.append(Partition(groups, start, end))
    return tuple(out)


def _num(x: float) -> str:
    return f"{x:g}"


def format_crashes(crashes: tuple[Crash, ...]) -> str:
    return "; ".join(f"{c.node}@{_num(c.at)}" + (f":{_num(c.recover)}" if c.recover is not None
                                                  else "") for c in crashes)


def format_partitions(partitions: tuple[Partition, ...]) -> str:
    return "; ".join(p.describe() + f"@{_num(p.start)}" + (f":{_num(p.end)}" if p.end is not None
                                                           else "") for p in partitions)
