"""Ballots (the paper's "proposal numbers") and proposals.

A ballot is the pair ``(round, proposer)``, ordered lexicographically, so two proposers never
issue the same ballot and every ballot is comparable with every other. ``NO_BALLOT`` is a real
minimum, ``Ballot(0, 0)``: proposers number their ballots from round 1 and have ids from 1, so
``NO_BALLOT`` is below every ballot ever issued and nothing is ever compared with ``None``.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .errors import UsageError

_DIGITS = re.compile(r"[0-9]{1,18}")
"""A round or a proposer id as text: ASCII digits only (``str.isdigit`` also takes
Arabic-Indic and superscript digits), few enough for ``int`` to read at once."""

Value = str
"""A proposed value (a command such as ``"add"``)."""


class Ballot(NamedTuple):
    """A proposal number, ``round`` first, ``proposer`` id as tie-breaker."""

    round: int
    proposer: int

    def __str__(self) -> str:
        return f"{self.round}.{self.proposer}"

    @classmethod
    def parse(cls, text: str) -> Ballot:
        """Inverse of ``str``: ``"3.1"`` -> ``Ballot(3, 1)``; ``UsageError`` (a ``ValueError``)
        for anything else."""
        head, sep, tail = text.partition(".") if isinstance(text, str) else ("", "", "")
        if not sep or not _DIGITS.fullmatch(head) or not _DIGITS.fullmatch(tail):
            raise UsageError("ballot", "ROUND.PROPOSER, two integers joined by a dot (e.g. 3.1; "
                             "ASCII digits, at most 18 each)", text)
        return cls(int(head), int(tail))


NO_BALLOT = Ballot(0, 0)
"""The minimum ballot: what an acceptor has promised before it promised anything."""


class Proposal(NamedTuple):
    """A ``(ballot, value)`` pair: what a proposer proposes and an acceptor accepts."""

    ballot: Ballot
    value: Value
