"""Interchangeable acceptors in the stable graph: each state taken up to renaming acceptors.

Renaming acceptors is an automorphism of the stable relation: the roles never look at a
node's name except to compare it for equality, so a renamed state has the renamed steps, and
"decided" does not depend on names. So the longest path to a decision is the same from every
renaming of a state, and the search may keep one representative per orbit: the renaming with
the least key (message ids, then node-state ids, each interned in order of appearance). The
renaming itself is ``actors.symmetry.rename`` (strings replaced through messages, ballots,
promises, votes).
"""

from __future__ import annotations

from itertools import permutations
from typing import TYPE_CHECKING, Any

from ..actors.symmetry import rename

if TYPE_CHECKING:
    from .system import State, System


class Acceptors:
    """The acceptor renamings of one ``System`` and each stable state's representative."""

    def __init__(self, system: System) -> None:
        self.system = system
        names = [system.nodes[i] for i in system.acceptors]
        self.group: list[tuple[dict[str, str], list[int], dict[int, int], dict[Any, Any]]] = []
        for perm in permutations(names):
            mapping = {a: b for a, b in zip(names, perm, strict=True) if a != b}
            node_perm = [system.nodes.index(mapping.get(n, n)) for n in system.nodes]
            self.group.append((mapping, node_perm, {}, {}))
        self._ids: dict[Any, int] = {}

    def _id(self, local: Any) -> int:
        out = self._ids.get(local)
        if out is None:
            out = self._ids[local] = len(self._ids)
        return out

    def canonical(self, state: State) -> State:
        """The representative of ``state`` (a stable, renumbered state)."""
        stable, left, net, nodes = state
        system = self.system
        best: Any = None
        best_key: Any = None
        for mapping, node_perm, msgs, locs in self.group:
            if mapping:
                new_net = []
                for mid in net:
                    out = msgs.get(mid)
                    if out is None:
                        out = msgs[mid] = system.intern(rename(system.msgs[mid], mapping))
                    new_net.append(out)
                new_net.sort()
                moved: list[Any] = [None] * len(nodes)
                for i, local in enumerate(nodes):
                    image = locs.get(local)
                    if image is None:
                        image = locs[local] = rename(local, mapping)
                    moved[node_perm[i]] = image
                image_net, image_nodes = tuple(new_net), tuple(moved)
            else:
                image_net, image_nodes = net, nodes
            key = (image_net, tuple([self._id(x) for x in image_nodes]))
            if best_key is None or key < best_key:
                best_key, best = key, (stable, left, image_net, image_nodes)
        return best
