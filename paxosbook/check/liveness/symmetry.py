"""Interchangeable acceptors: each state of bounded response taken up to renaming acceptors.

Renaming acceptors is an automorphism of both successor relations (stable and faulty): the
roles never look at a node's name except to compare it for equality, so a renamed state has
the renamed steps (deliveries, drops, timeouts, restarts alike), and neither "decided", the
ballot bound of the faulty phase (attempts), ``stabilise`` (it keeps proposers, which are not
renamed) nor renumbering depends on acceptor names. So the longest path to a decision is the
same from every renaming of a state, the set of stabilisation points is closed under renaming,
and a search may keep one representative per orbit.

The representative is the renaming with the least key: the acceptors' node-state ids in slot
order, then every node-state id, then the message ids (ids interned in order of appearance;
the key is injective, so this is a canonical form and the number of representatives is the
number of orbits, whichever order is used). An acceptor's own node state names no acceptor in
this model (its promise and vote carry proposers' ballots only), so its id is the same under
every renaming and only the renamings that sort those ids can give the least key: usually one
image is built, not ``acceptors!``. A node state that does name an acceptor (a colocated
role) falls back to building every image. The renaming itself is ``actors.symmetry.rename``.
"""

from __future__ import annotations

from itertools import permutations
from typing import TYPE_CHECKING, Any

from ..actors.symmetry import rename

if TYPE_CHECKING:
    from .system import State, System


class _Renaming:
    __slots__ = ("locs", "mapping", "msgs", "node_perm", "where")

    def __init__(self, mapping: dict[str, str], node_perm: list[int], where: list[int]) -> None:
        self.mapping = mapping
        self.node_perm = node_perm
        self.where = where
        """For the k-th acceptor, the index among the acceptors of the slot it moves to."""
        self.msgs: dict[int, int] = {}
        self.locs: dict[Any, Any] = {}


class Acceptors:
    """The acceptor renamings of one ``System`` and each state's representative."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.acceptors = system.acceptors
        self.others = [i for i in range(len(system.nodes)) if i not in system.acceptors]
        names = [system.nodes[i] for i in system.acceptors]
        self.group: list[_Renaming] = []
        for perm in permutations(names):
            mapping = {a: b for a, b in zip(names, perm, strict=True) if a != b}
            node_perm = [system.nodes.index(mapping.get(n, n)) for n in system.nodes]
            where = [system.acceptors.index(node_perm[i]) for i in system.acceptors]
            self.group.append(_Renaming(mapping, node_perm, where))
        self._ids: dict[Any, int] = {}
        self._fixed: dict[Any, int] = {}
        self._sorting: dict[tuple[int, ...], list[_Renaming]] = {}
        """Per pattern of ranks of the acceptors' ids, the renamings that sort them."""
        """Acceptor node states: their id if no renaming changes them, else -1."""

    def _id(self, local: Any) -> int:
        out = self._ids.get(local)
        if out is None:
            out = self._ids[local] = len(self._ids)
        return out

    def _fixed_id(self, local: Any) -> int:
        out = self._fixed.get(local)
        if out is None:
            same = all(rename(local, g.mapping) == local for g in self.group)
            out = self._fixed[local] = self._id(local) if same else -1
        return out

    def canonical(self, state: State) -> State:
        """The representative of ``state`` (any state, stable or faulty)."""
        nodes = state[3]
        ids = [self._fixed_id(nodes[i]) for i in self.acceptors]
        if min(ids) < 0:
            return self._least(state, self.group)
        want = sorted(ids)
        ranks = tuple([want.index(x) for x in ids])
        candidates = self._sorting.get(ranks)
        if candidates is None:
            firsts = [want.index(x) for x in want]
            candidates = self._sorting[ranks] = [
                g for g in self.group
                if all(firsts[w] == r for w, r in zip(g.where, ranks, strict=True))]
        if len(candidates) == 1:
            return self._image(state, candidates[0])
        # the acceptor slots agree: compare the other node states, then the messages
        best: list[tuple[Any, Any, _Renaming]] = []
        for g in candidates:
            moved = self._nodes(state[3], g)
            key = tuple([self._id(moved[i]) for i in self.others])
            if not best or key < best[0][0]:
                best = [(key, moved, g)]
            elif key == best[0][0]:
                best.append((key, moved, g))
        if len(best) == 1:
            _, moved, g = best[0]
            return (state[0], state[1], self._net(state[2], g), moved)
        net, moved = min(((self._net(state[2], g), moved) for _, moved, g in best),
                         key=lambda x: x[0])
        return (state[0], state[1], net, moved)

    def _least(self, state: State, group: list[_Renaming]) -> State:
        best: Any = None
        best_key: Any = None
        for g in group:
            image = self._image(state, g)
            nodes = image[3]
            key = (tuple([self._id(nodes[i]) for i in self.acceptors]),
                   tuple([self._id(x) for x in nodes]), image[2])
            if best_key is None or key < best_key:
                best_key, best = key, image
        return best

    def _image(self, state: State, g: _Renaming) -> State:
        if not g.mapping:
            return state
        return (state[0], state[1], self._net(state[2], g), self._nodes(state[3], g))

    def _net(self, net: tuple[int, ...], g: _Renaming) -> tuple[int, ...]:
        if not g.mapping:
            return net
        msgs = g.msgs
        new_net = []
        for mid in net:
            out = msgs.get(mid)
            if out is None:
                out = msgs[mid] = self.system.intern(rename(self.system.msgs[mid], g.mapping))
            new_net.append(out)
        new_net.sort()
        return tuple(new_net)

    def _nodes(self, nodes: tuple[Any, ...], g: _Renaming) -> tuple[Any, ...]:
        if not g.mapping:
            return nodes
        locs = g.locs
        moved: list[Any] = [None] * len(nodes)
        for i, local in enumerate(nodes):
            image = locs.get(local)
            if image is None:
                image = locs[local] = rename(local, g.mapping)
            moved[g.node_perm[i]] = image
        return tuple(moved)
