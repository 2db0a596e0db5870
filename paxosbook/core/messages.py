"""The five messages of Basic Paxos.

Names follow "Paxos Made Simple"; the TLA+ specification calls them 1a, 1b, 2a, 2b. Every
message carries its sender ``src``, its one receiver ``dst`` (a broadcast is one message per
receiver) and the ``ballot`` it is about. Messages are immutable and hashable (NamedTuples:
about half the construction cost of a frozen dataclass, which matters in the simulator's hot
loop), so the model checker can put them in sets; equality includes the class, so an
``Accept`` never equals an ``Accepted`` with the same fields, nor a plain tuple.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .ballot import Ballot, Proposal, Value


class Prepare(NamedTuple):
    """Phase 1a: "prepare request with number n", proposer to acceptor."""

    src: str
    dst: str
    ballot: Ballot


class Promise(NamedTuple):
    """Phase 1b: a promise not to accept ballots below ``ballot``, acceptor to proposer.

    ``accepted`` is the highest-numbered proposal the acceptor has accepted, or ``None`` if it
    has accepted none (TLA+: ``mbal``/``mval``).
    """

    src: str
    dst: str
    ballot: Ballot
    accepted: Proposal | None


class Accept(NamedTuple):
    """Phase 2a: "accept request" for proposal ``(ballot, value)``, proposer to acceptor."""

    src: str
    dst: str
    ballot: Ballot
    value: Value


class Accepted(NamedTuple):
    """Phase 2b: the acceptor accepted ``(ballot, value)``; sent to learners and the proposer."""

    src: str
    dst: str
    ballot: Ballot
    value: Value


class Nack(NamedTuple):
    """A rejection of ``ballot`` because the acceptor has promised the higher ``promised``.

    Not in the paper's basic algorithm, but its suggested optimisation (section 2.3): it lets
    a proposer abandon a doomed ballot early and jump past ``promised``.
    """

    src: str
    dst: str
    ballot: Ballot
    promised: Ballot


Message = Prepare | Promise | Accept | Accepted | Nack


def _eq(self: tuple[Any, ...], other: object) -> bool:
    return type(self) is type(other) and tuple.__eq__(self, other)


def _ne(self: tuple[Any, ...], other: object) -> bool:
    return not _eq(self, other)


def typed_equality(*classes: type) -> None:
    """Make NamedTuple ``classes`` equal only to values of their own class (messages here,
    effects in ``effects``), keeping tuple hashing."""
    for cls in classes:
        cls.__eq__ = _eq  # type: ignore[assignment]
        cls.__ne__ = _ne  # type: ignore[assignment,method-assign]
        cls.__hash__ = tuple.__hash__  # type: ignore[assignment,method-assign]


typed_equality(Prepare, Promise, Accept, Accepted, Nack)

PHASES: dict[type, str] = {Prepare: "1a", Promise: "1b", Accept: "2a", Accepted: "2b",
                           Nack: "nack"}
"""Each message type's name in the TLA+ specification."""
MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls for cls in (Prepare, Promise, Accept, Accepted, Nack)
}
