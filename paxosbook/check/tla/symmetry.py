"""Symmetry reduction for the ``tla`` model when every renaming of the acceptors is allowed
(majority and size-based quorums): a state's representative by sorting, not by trying the
whole group.

Theory of operation. A state's acceptor-specific part is, per acceptor, its field (the code of
``maxBal, maxVBal, maxVal``) and its two blocks of message bits (its 1b and its 2b messages:
``TlaModel`` lays each acceptor's messages out contiguously). Renaming the acceptors only moves
these per-acceptor signatures between slots; renaming the values rewrites each signature and
the 2a bits. So for each value permutation ``pv`` the state with the signatures (rewritten by
``pv``) put in increasing order is an image of the state, and it is the same for every member
of the orbit; the least of these (one per value permutation, not one per group element) is the
representative. The orbit's size is |G| / |stabiliser|: the stabiliser holds, for each ``pv``
whose sorted image equals the sorted identity image, one renaming per way of permuting
acceptors with equal signatures (product of the factorials of their multiplicities).
``tests/test_check_tla.py`` checks representatives and orbit sizes against the whole group.
"""

from __future__ import annotations

from collections import Counter
from itertools import permutations
from math import factorial, prod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import TlaModel


class _ValueRenaming:
    """One permutation of the values, acting on signatures and on the 2a bits (memoised)."""

    __slots__ = ("map1", "map2", "recode", "sigs", "twoa")

    def __init__(self, model: TlaModel, pv: tuple[int, ...]) -> None:
        nb, k = model.ballots, model.k
        self.recode = tuple(model.code(mb, mvb, None if mv is None else pv[mv])
                            for mb, mvb, mv in (model.uncode(c) for c in range(model.K)))
        # bit i of a block -> its image: 1b (b, mb, mv) with mv in (None, 0..k-1); 2b/2a (b, v)
        self.map1 = [(i // (k + 1)) * (k + 1) + (0 if i % (k + 1) == 0
                                                 else pv[i % (k + 1) - 1] + 1)
                     for i in range(nb * (nb + 1) * (k + 1))]
        self.map2 = [(i // k) * k + pv[i % k] for i in range(nb * k)]
        self.sigs: dict[int, int] = {}
        self.twoa: dict[int, int] = {}


def _permute(table: list[int], block: int) -> int:
    out = 0
    while block:
        low = block & -block
        out |= 1 << table[low.bit_length() - 1]
        block ^= low
    return out


class SortedSymmetry:
    """``canonical`` for a ``TlaModel`` whose quorum systems every acceptor renaming keeps.

    An acceptor's signature is one int, ``field << (S1 + S2) | 2b block << S1 | 1b block``,
    so sorting ints sorts signatures; ``place`` memoises a signature put in a slot."""

    def __init__(self, model: TlaModel) -> None:
        self.m = model
        k, nb = model.k, model.ballots
        self.s1 = nb * (nb + 1) * (k + 1)
        self.s2 = nb * k
        self.off1b = model.accbits + nb
        self.off2a = self.off1b + model.n * self.s1
        self.off2b = self.off2a + nb * k
        self.mask1, self.mask2 = (1 << self.s1) - 1, (1 << self.s2) - 1
        self.renamings = [_ValueRenaming(model, pv) for pv in permutations(range(k))]
        self.group = factorial(model.n) * factorial(k)
        self.place: list[dict[int, int]] = [{} for _ in range(model.n)]

    def signature(self, state: int, a: int) -> int:
        field = (state >> (a * self.m.abits)) & self.m.amask
        b2 = (state >> (self.off2b + a * self.s2)) & self.mask2
        b1 = (state >> (self.off1b + a * self.s1)) & self.mask1
        return (((field << self.s2) | b2) << self.s1) | b1

    def rename(self, r: _ValueRenaming, sig: int) -> int:
        out = r.sigs.get(sig)
        if out is None:
            b1, rest = sig & self.mask1, sig >> self.s1
            b2, field = rest & self.mask2, rest >> self.s2
            out = r.sigs[sig] = (((r.recode[field] << self.s2) | _permute(r.map2, b2))
                                 << self.s1) | _permute(r.map1, b1)
        return out

    def placed(self, pos: int, sig: int) -> int:
        out = self.place[pos].get(sig)
        if out is None:
            b1, rest = sig & self.mask1, sig >> self.s1
            b2, field = rest & self.mask2, rest >> self.s2
            out = self.place[pos][sig] = ((field << (pos * self.m.abits))
                                          | (b1 << (self.off1b + pos * self.s1))
                                          | (b2 << (self.off2b + pos * self.s2)))
        return out

    def canonical(self, state: int) -> tuple[int, int]:
        sigs = [self.signature(state, a) for a in range(self.m.n)]
        m2a = (state >> self.off2a) & self.mask2
        fixed = state & self.m.M1A
        rename, placed = self.rename, self.placed
        images = []
        for r in self.renamings:
            x = r.twoa.get(m2a)
            if x is None:
                x = r.twoa[m2a] = _permute(r.map2, m2a) << self.off2a
            x |= fixed
            for pos, sig in enumerate(sorted([rename(r, s) for s in sigs])):
                x |= placed(pos, sig)
            images.append(x)
        ident = images[0]  # permutations() yields the identity first
        stabiliser = images.count(ident) * prod(factorial(c) for c in Counter(sigs).values())
        return min(images), self.group // stabiliser
