"""The fault schedule as text, in the command line's syntax, for a text box.

One entry is ``Crash.parse``'s or ``Partition.parse``'s text (``a1@2:8``, ``a1,p1|a2,a3@1:6``,
see ``paxosbook.network``); several are separated by ``;`` or spaces. A malformed entry raises
the ``UsageError`` that ``parse`` raises (field ``crashes`` or ``partitions``, the expected
form, the entry), the same as on the command line and in a saved run; whether the nodes exist
is the config's business (it knows the cluster).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..network import Crash, Partition


def _entries(text: str) -> list[str]:
    return [e for e in re.split(r"[;\s]+", text.strip()) if e]


def parse_crashes(text: str) -> tuple[Crash, ...]:
    """``"a1@2:8; a2@5"`` -> two ``Crash`` entries."""
    return tuple(Crash.parse(entry) for entry in _entries(text))


def parse_partitions(text: str) -> tuple[Partition, ...]:
    """``"a1|a2,a3@1:6; a2|a3@8"`` -> two ``Partition`` entries."""
    return tuple(Partition.parse(entry) for entry in _entries(text))


def format_crashes(crashes: Iterable[Crash]) -> str:
    """Inverse of ``parse_crashes``."""
    return "; ".join(str(c) for c in crashes)


def format_partitions(partitions: Iterable[Partition]) -> str:
    """Inverse of ``parse_partitions``."""
    return "; ".join(str(p) for p in partitions)
