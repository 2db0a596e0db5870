"""Quorum systems: which sets of acceptors may answer phase 1 and phase 2.

Safety needs only that every phase-1 quorum intersects every phase-2 quorum (the paper uses
majorities, where any two intersect; Flexible Paxos, Howard et al. 2016, uses sizes with
``Q1 + Q2 > N``). A system that does not intersect can still be built for teaching, but only
on purpose: ``check_intersection`` raises unless asked not to, and ``intersects`` tells.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from itertools import product

from .errors import UsageError


@dataclass(frozen=True, slots=True)
class QuorumSystem:
    """Quorums over ``acceptors``.

    Either by size (``q1``/``q2``: any set of at least that many acceptors; majority is
    ``N // 2 + 1`` for both) or by an explicit list of sets used for both phases.
    """

    acceptors: tuple[str, ...]
    q1: int
    q2: int
    explicit: tuple[frozenset[str], ...] = ()

    @classmethod
    def majority(cls, acceptors: Sequence[str]) -> QuorumSystem:
        size = len(acceptors) // 2 + 1
        return cls(tuple(acceptors), size, size)

    @classmethod
    def flexible(cls, acceptors: Sequence[str], q1: int, q2: int) -> QuorumSystem:
        n = len(acceptors)
        for name, q in (("q1", q1), ("q2", q2)):
            if not 1 <= q <= n:
                raise UsageError(name, f"an integer in [1, {n}] (the number of acceptors)", q)
        return cls(tuple(acceptors), q1, q2)

    @classmethod
    def from_sets(cls, acceptors: Sequence[str], sets: Sequence[Collection[str]]) -> QuorumSystem:
        if not sets:
            raise UsageError("quorums", "a non-empty list of acceptor sets", list(sets))
        known = set(acceptors)
        frozen = []
        for s in sets:
            fs = frozenset(s)
            if not fs or not fs <= known:
                raise UsageError("quorums", f"non-empty sets of acceptors from {sorted(known)}",
                                 sorted(s))
            frozen.append(fs)
        return cls(tuple(acceptors), 0, 0, tuple(frozen))

    def _is_quorum(self, members: Collection[str], size: int) -> bool:
        if self.explicit:
            return any(q <= members for q in self.explicit)  # type: ignore[operator]
        return len(members) >= size

    def is_phase1(self, members: Collection[str]) -> bool:
        """Do promises from ``members`` (distinct acceptors) form a phase-1 quorum?"""
        return self._is_quorum(members, self.q1)

    def is_phase2(self, members: Collection[str]) -> bool:
        """Do acceptances from ``members`` (distinct acceptors) form a phase-2 quorum?"""
        return self._is_quorum(members, self.q2)

    def intersects(self) -> bool:
        """True when every phase-1 quorum meets every phase-2 quorum (the safety condition)."""
        if self.explicit:
            return all(a & b for a, b in product(self.explicit, repeat=2))
        return self.q1 + self.q2 > len(self.acceptors)

    def describe(self) -> str:
        if self.explicit:
            return "quorums " + " ".join("{" + ",".join(sorted(q)) + "}" for q in self.explicit)
        return f"Q1={self.q1} Q2={self.q2} of N={len(self.acceptors)}"

    def check_intersection(self, unsafe: bool) -> None:
        """Raise ``UsageError`` for a non-intersecting system unless ``unsafe`` is set."""
        if not unsafe and not self.intersects():
            raise UsageError(
                "quorums",
                "intersecting (every phase-1 quorum must meet every phase-2 quorum, e.g. "
                "Q1 + Q2 > N); pass unsafe=True to run a non-intersecting system on purpose",
                self.describe(),
            )
