"""The five messages of Basic Paxos.

Names follow "Paxos Made Simple"; the TLA+ specification calls them 1a, 1b, 2a, 2b. Every
message carries its sender ``src``, its one receiver ``dst`` (a broadcast is one message per
receiver) and the ``ballot`` it is about. Messages are frozen, slotted and hashable, so the
model checker can put them in sets; equality includes the class, so an ``Accept`` never equals
an ``Accepted`` with the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from .ballot import Ballot, Proposal, Value


@dataclass(frozen=True, slots=True)
class Prepare:
    """Phase 1a: "prepare request with number n", proposer to acceptor."""

    src: str
    dst: str
    ballot: Ballot
    phase: ClassVar[str] = "1a"


@dataclass(frozen=True, slots=True)
class Promise:
    """Phase 1b: a promise not to accept ballots below ``ballot``, acceptor to proposer.

    ``accepted`` is the highest-numbered proposal the acceptor has accepted, or ``None`` if it
    has accepted none (TLA+: ``mbal``/``mval``).
    """

    src: str
    dst: str
    ballot: Ballot
    accepted: Proposal | None
    phase: ClassVar[str] = "1b"


@dataclass(frozen=True, slots=True)
class Accept:
    """Phase 2a: "accept request" for proposal ``(ballot, value)``, proposer to acceptor."""

    src: str
    dst: str
    ballot: Ballot
    value: Value
    phase: ClassVar[str] = "2a"


@dataclass(frozen=True, slots=True)
class Accepted:
    """Phase 2b: the acceptor accepted ``(ballot, value)``; sent to learners and the proposer."""

    src: str
    dst: str
    ballot: Ballot
    value: Value
    phase: ClassVar[str] = "2b"


@dataclass(frozen=True, slots=True)
class Nack:
    """A rejection of ``ballot`` because the acceptor has promised the higher ``promised``.

    Not in the paper's basic algorithm, but its suggested optimisation (section 2.3): it lets
    a proposer abandon a doomed ballot early and jump past ``promised``.
    """

    src: str
    dst: str
    ballot: Ballot
    promised: Ballot
    phase: ClassVar[str] = "nack"


Message = Prepare | Promise | Accept | Accepted | Nack
MESSAGE_TYPES: dict[str, type[Message]] = {
    cls.__name__: cls for cls in (Prepare, Promise, Accept, Accepted, Nack)
}
