"""Symmetry reduction for the ``actors`` model: interchangeable acceptors.

Acceptors that host no other role are interchangeable when the quorum system is (majorities
and size-based systems always; an explicit system when the renaming maps it onto itself).
Renaming acceptors renames them everywhere: in message senders and receivers, in a proposer's
promises and accepts, in a learner's voters, in the ghost votes, and moves their node states.
A state's representative is the least of its renamings. Only renamings that put the
acceptors' own states in increasing order can give the least image, so usually one image is
built; the stabiliser, searched among the renamings that keep the state's own order, gives
the orbit's size (for the raw counts). Values stay put: in this model each value belongs to a
proposer, and proposers differ (their ids order their ballots).
"""

from __future__ import annotations

import dataclasses
from itertools import permutations
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from ...core import UsageError
from .base import State

if TYPE_CHECKING:
    from .model import ActorModel


def rename(obj: Any, names: dict[str, str]) -> Any:
    """``obj`` with every string in ``names`` replaced, through tuples, named tuples, frozen
    sets and dataclasses (messages, ballots, proposals, frozen roles)."""
    kind = type(obj)
    if kind is str:
        return names.get(obj, obj)
    if kind is tuple:
        return tuple(rename(x, names) for x in obj)
    if kind is frozenset:
        return frozenset(rename(x, names) for x in obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return kind(*(rename(x, names) for x in obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.replace(obj, **{f.name: rename(getattr(obj, f.name), names)
                                           for f in dataclasses.fields(obj)})
    return obj


class _Renaming:
    """One permutation of the acceptors, with its caches (message, node state and ghost ids,
    whole networks and tuples of node states, and 16-bit chunk tables for set networks)."""

    __slots__ = ("chunks", "ghosts", "identity", "items", "landing", "locals", "mapping",
                 "msgs", "nets", "node_perm", "nodes")

    def __init__(self, mapping: dict[str, str], node_perm: list[int],
                 landing: tuple[int, ...]) -> None:
        self.mapping = mapping
        self.identity = not mapping
        self.node_perm = node_perm
        self.landing = itemgetter(*landing) if len(landing) > 1 else (lambda k: (k[0],))
        self.msgs: dict[int, int] = {}
        self.locals: dict[int, int] = {}
        self.ghosts: dict[int, int] = {}
        self.items: dict[Any, Any] = {}
        self.chunks: list[dict[int, int]] = []
        self.nets: dict[int, int] = {}
        self.nodes: dict[tuple[int, ...], tuple[int, ...]] = {}


class Symmetry:
    """The symmetry group of an ``ActorModel`` and each state's representative."""

    def __init__(self, model: ActorModel) -> None:
        self.model = model
        self._group: list[_Renaming] | None = None
        self._anon_ids: dict[int, int] = {}
        self._anon_values: dict[Any, int] = {}
        self._plans: dict[tuple[int, ...], tuple[list[_Renaming], list[_Renaming]]] = {}
        self._size = 1
        at = [3 + i for i in model.symmetric]
        self._lids = itemgetter(*at) if len(at) > 1 else (lambda s: tuple(s[j] for j in at))
        """The symmetric acceptors' node state ids in a state."""

    def canonical(self, state: State) -> tuple[State, int]:
        best, orbit, _ = self.canonical_renaming(state)
        return best, orbit

    def canonical_renaming(self, state: State) -> tuple[State, int, _Renaming]:
        """(the least renaming of ``state``, its orbit's size, a renaming that gives it)."""
        lids = self._lids(state)
        plan = self._plans.get(lids)
        if plan is None:
            plan = self._plan(lids)
        candidates, stabiliser = plan
        if not stabiliser and len(candidates) == 1:  # the common case: one image, orbit |G|
            g = candidates[0]
            return (state if g.identity else self._image(state, g)), self._size, g
        images: dict[int, State] = {}
        best, by = None, candidates[0]
        for g in candidates:
            image = images[id(g)] = state if g.identity else self._image(state, g)
            if best is None or image < best:
                best, by = image, g
        fixed = 1
        for g in stabiliser:
            seen = images.get(id(g))
            fixed += (self._image(state, g) if seen is None else seen) == state
        assert best is not None
        return best, self._size // fixed, by

    def _plan(self, lids: tuple[int, ...]) -> tuple[list[_Renaming], list[_Renaming]]:
        """For the acceptors' node states ``lids``: the renamings that put their anonymous
        states (``_anon``) in the least order (only these can give the least image) and those,
        other than the identity, that keep them in their own order (the stabiliser lies among
        them). The plan depends on ``lids`` only, so it is computed once for each."""
        group = self._group if self._group is not None else self._symmetries()
        keys = tuple([self._anon(lid) for lid in lids])
        arranged = [g.landing(keys) for g in group]
        low = min(arranged)
        plan = ([g for g, order in zip(group, arranged, strict=True) if order == low],
                [g for g, order in zip(group, arranged, strict=True)
                 if order == keys and not g.identity])
        self._plans[lids] = plan
        return plan

    def _anon(self, lid: int) -> int:
        """An id of node state ``lid`` that forgets which node it belongs to."""
        out = self._anon_ids.get(lid)
        if out is None:
            out = self._anon_ids[lid] = self._anon_values.setdefault(
                self.model.local(lid)[1:], len(self._anon_values))
        return out

    def _symmetries(self) -> list[_Renaming]:
        m = self.model
        names = [m.nodes[i] for i in m.symmetric]
        if set(m.proposed) & set(m.nodes):
            raise UsageError("symmetry", "values that are not node names", sorted(m.proposed))
        qs = m.cluster.quorums
        group = []
        for perm in permutations(names):
            mapping = dict(zip(names, perm, strict=True))
            if qs.explicit and {frozenset(mapping.get(a, a) for a in q)
                                for q in qs.explicit} != set(qs.explicit):
                continue
            node_perm = [m.nodes.index(mapping.get(n, n)) for n in m.nodes]
            landing = tuple(m.symmetric.index(node_perm.index(j)) for j in m.symmetric)
            group.append(_Renaming({a: b for a, b in mapping.items() if a != b}, node_perm,
                                   landing))
        self._group = group
        self._size = len(group)
        return group

    def msg_image(self, g: _Renaming, mid: int) -> int:
        out = g.msgs.get(mid)
        if out is None:
            m = self.model
            out = g.msgs[mid] = m.alias(m.intern_msg(rename(m.message(mid), g.mapping)))
        return out

    def net_image(self, g: _Renaming, net: int) -> int:
        """The image under ``g`` of a mask of message ids (memoised: few networks recur
        across many states)."""
        out = g.nets.get(net)
        if out is None:
            out = g.nets[net] = self._net_image(g, net)
        return out

    def _net_image(self, g: _Renaming, net: int) -> int:
        out, c, chunks = 0, 0, g.chunks
        while net:
            v = net & 0xFFFF
            if v:
                while len(chunks) <= c:
                    chunks.append({})
                part = chunks[c].get(v)
                if part is None:
                    part, x = 0, v
                    while x:
                        low = x & -x
                        x ^= low
                        part |= 1 << self.msg_image(g, 16 * c + low.bit_length() - 1)
                    chunks[c][v] = part
                out |= part
            net >>= 16
            c += 1
        return out

    def _nodes_image(self, g: _Renaming, locs: tuple[int, ...]) -> tuple[int, ...]:
        """The node state ids ``locs`` renamed by ``g`` and moved to their new places."""
        new_locs = list(locs)
        node_perm, cache = g.node_perm, g.locals
        for i, lid in enumerate(locs):
            l2 = cache.get(lid)
            if l2 is None:
                l2 = self.local_image(g, i, lid)
            new_locs[node_perm[i]] = l2
        return tuple(new_locs)

    def local_image(self, g: _Renaming, i: int, lid: int) -> int:
        """The id of node ``i``'s state ``lid`` renamed by ``g`` (a state of node
        ``g.node_perm[i]``), memoised."""
        l2 = g.locals.get(lid)
        if l2 is None:
            m = self.model
            _, node_state, timers, stored = m.local(lid)
            j = g.node_perm[i]
            l2 = g.locals[lid] = m.canon_local(
                j, (j, rename(node_state, g.mapping), timers, rename(stored, g.mapping)))
        return l2

    def ghost_image(self, g: _Renaming, gid: int) -> int:
        """The id of ghost ``gid`` renamed by ``g``, memoised."""
        out = g.ghosts.get(gid)
        if out is None:
            m = self.model
            out = g.ghosts[gid] = m.intern_ghost(self._ghost_image(g, m.ghost(gid)))
        return out

    def group(self) -> list[_Renaming]:
        """Every renaming of the symmetric acceptors (the identity among them)."""
        return self._group if self._group is not None else self._symmetries()

    def plan(self, lids: tuple[int, ...]) -> tuple[list[_Renaming], list[_Renaming]]:
        """``_plan`` for the symmetric acceptors' node state ids ``lids``, memoised."""
        plan = self._plans.get(lids)
        return plan if plan is not None else self._plan(lids)

    def _ghost_image(self, g: _Renaming, ghost: Any) -> Any:
        """``rename(ghost, g.mapping)``, one vote or Accept at a time (few recur, in many
        ghosts)."""
        items = g.items
        out = []
        for part in ghost:
            renamed = []
            for x in part:
                y = items.get(x)
                if y is None:
                    y = items[x] = rename(x, g.mapping)
                renamed.append(y)
            out.append(frozenset(renamed))
        return tuple(out)

    def _image(self, state: State, g: _Renaming) -> State:
        m = self.model
        net = state[0]
        if m.network == "set":
            new_net: Any = g.nets.get(net)  # net_image, inlined (the hot path)
            if new_net is None:
                new_net = g.nets[net] = self._net_image(g, net)
        else:
            new_net = tuple(sorted(self.msg_image(g, x) for x in net))
        gid = g.ghosts.get(state[1])
        if gid is None:
            gid = self.ghost_image(g, state[1])
        locs = state[3:]
        new_locs = g.nodes.get(locs)
        if new_locs is None:
            new_locs = g.nodes[locs] = self._nodes_image(g, locs)
        return (new_net, gid, state[2], *new_locs)
