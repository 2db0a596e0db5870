"""Planted bugs ("mutants") that can be switched on in the core, for teaching and for
showing that the safety checks can fail.

A mutant is passed explicitly to the roles that honour it (never a global switch), so runs with
and without it can share a process. Each is documented with the rule of the paper it breaks.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from .errors import UsageError


class Mutant(Enum):
    IGNORE_PROMISED_VALUE = "ignore-promised-value"
    """The proposer proposes its own value even when a promise reports an accepted proposal.
    Breaks P2c: the value of the highest-numbered accepted proposal must be proposed."""

    FORGET_PROMISE_ON_RESTART = "forget-promise-on-restart"
    """The acceptor does not keep its promise and acceptance across a crash-restart.
    Breaks the paper's requirement that an acceptor remember them on stable storage."""

    ACCEPT_BELOW_PROMISE = "accept-below-promise"
    """The acceptor accepts an Accept even when it promised a higher ballot. Breaks P1a."""

    LEARN_WITHOUT_QUORUM = "learn-without-quorum"
    """The learner learns from the first Accepted it hears, fewer than a phase-2 quorum.
    Breaks the definition of chosen: a value is chosen only when a quorum accepted it."""

    REUSE_BALLOT = "reuse-ballot"
    """Every proposer numbers its ballots with the same proposer id, so two proposers can
    issue the same ballot with different values. Breaks the paper's requirement that different
    proposals have different numbers."""

    __hash__ = object.__hash__  # members are singletons; Enum's own hash is slow Python code

    @property
    def doc(self) -> str:
        return _DOCS[self]

    @classmethod
    def parse(cls, names: Iterable[str]) -> frozenset[Mutant]:
        """The mutants named (``("reuse-ballot",)``); ``UsageError`` listing the names for an
        unknown one."""
        by_value = {m.value: m for m in cls}
        names = (names,) if isinstance(names, str) else tuple(names)
        for n in names:
            if n not in by_value:
                raise UsageError("mutants", "names from " + ", ".join(by_value), n)
        return frozenset(by_value[n] for n in names)


_DOCS = {
    Mutant.IGNORE_PROMISED_VALUE: "proposer ignores the highest accepted value in promises",
    Mutant.FORGET_PROMISE_ON_RESTART: "acceptor forgets its promise and acceptance on restart",
    Mutant.ACCEPT_BELOW_PROMISE: "acceptor accepts a proposal below its promise",
    Mutant.LEARN_WITHOUT_QUORUM: "learner learns from fewer than a quorum of Accepted messages",
    Mutant.REUSE_BALLOT: "two proposers reuse the same ballot",
}
