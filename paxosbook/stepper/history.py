"""The stepper's history: a tree of positions, with undo, redo, branches and a size cap.

Each position (``Position``) keeps the ``World`` after its action, the records that action
wrote and the safety properties broken by the run up to it. Stepping from a position to an
action already taken from it moves to that child instead of growing the tree, so a loop of
step / undo clicks costs nothing; a genuinely new step opens a new branch. The tree holds at
most ``MAX_POSITIONS`` positions: one more step raises ``UsageError`` (start a new stepper
from the path, which is short).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

from ..core import UsageError
from ..events import Record
from .world import Action, World

MAX_POSITIONS = 20_000


@dataclass
class Position:
    """One node of the history tree."""

    id: int
    parent: int | None
    action: Action | None
    """The action that led here (``None`` at the root)."""
    world: World
    records: tuple[Record, ...]
    """The records the action wrote (at the root: the records before the first step)."""
    broken: tuple[str, ...]
    """The safety properties the run up to here violates."""
    depth: int
    children: dict[str, int] = field(default_factory=dict)
    """Action token -> child position id, in the order the branches were opened."""
    last_child: int | None = None
    """The child visited last: where ``redo`` goes."""


@dataclass(frozen=True)
class Branch:
    """A leaf of the history tree: ``id`` (for ``goto``), its ``path`` and ``length``."""

    id: int
    path: str
    length: int
    current: bool


class History:
    def __init__(self, world: World, records: tuple[Record, ...], broken: tuple[str, ...],
                 head: str = "") -> None:
        self.positions = [Position(0, None, None, world, records, broken, 0)]
        self.current = 0
        self.head = head
        """The path's head: how the root was reached (``run SEED@TIME;`` after ``from_run``)."""

    @property
    def here(self) -> Position:
        return self.positions[self.current]

    def line(self, pid: int | None = None) -> list[Position]:
        """The positions from the root to ``pid`` (default: the current one)."""
        out = []
        p: int | None = self.current if pid is None else pid
        while p is not None:
            out.append(self.positions[p])
            p = self.positions[p].parent
        return out[::-1]

    def child(self, action: Action) -> Position | None:
        cid = self.here.children.get(action.token)
        return None if cid is None else self.positions[cid]

    def add(self, action: Action, world: World, records: tuple[Record, ...],
            broken: tuple[str, ...]) -> Position:
        if len(self.positions) >= MAX_POSITIONS:
            raise UsageError("history", f"at most {MAX_POSITIONS} positions in the history tree "
                             "(start a new stepper from the path: Stepper.replay(config, path))",
                             len(self.positions) + 1)
        here = self.here
        pos = Position(len(self.positions), here.id, action, world, records, broken,
                       here.depth + 1)
        self.positions.append(pos)
        here.children[action.token] = pos.id
        return pos

    def move(self, pid: int) -> None:
        """Make ``pid`` current, remembering the way down for ``redo``."""
        self.current = pid
        line = self.line(pid)
        for parent, child in pairwise(line):
            parent.last_child = child.id

    def path(self, pid: int | None = None) -> str:
        tokens = " ".join(p.action.token for p in self.line(pid) if p.action is not None)
        return f"{self.head} {tokens}".strip() if self.head else tokens

    def leaves(self) -> Iterator[Position]:
        return (p for p in self.positions if not p.children)

    def branches(self) -> list[Branch]:
        return [Branch(p.id, self.path(p.id), p.depth,
                       any(q.id == self.current for q in self.line(p.id)))
                for p in self.leaves()]
