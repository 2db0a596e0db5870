"""Model ``tla``: the TLA+ Paxos specification (``spec``) packed for a fast search.

Theory of operation. A state is one Python int. Its low bits hold, per acceptor, a small code
for ``(maxBal, maxVBal, maxVal)``; above them every message the spec could ever send has one
bit, so ``msgs`` is a bitmask and sending is ``|``. Each action's enabling condition reads
only a few of those bits (Phase1b/Phase2b of acceptor a: a's code and the 1a/2a bits;
Phase2a(b, _): the 1b and 2a bits of ballot b), so its outcome is computed once per distinct
value of that slice, from the readable transcription in ``spec``, and looked up ever
after. Invariants are memoised the same way: those that are a conjunction over acceptors
per acceptor (a slice of one acceptor's field and messages), the rest together over the
acceptor fields and the 2a/2b bits. The search therefore spends its time on int operations
and dict lookups. ``actions`` runs ``spec`` itself; tests check that both agree on every
reachable state.

Symmetry: permuting acceptors and values permutes message bits and acceptor codes. Only the
acceptor permutations that map the quorum systems onto themselves are used, so lopsided quorums
stay sound; for those a state's representative is the least of its images (``least_image``).
When every acceptor permutation is allowed (majorities), ``symmetry.SortedSymmetry`` finds a
representative by sorting the acceptors, one image per value permutation.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from itertools import combinations, permutations
from math import factorial
from typing import TYPE_CHECKING, Any

from ...core import UsageError
from ...validation import check_int
from ..engine import Action, Invariant, Model, Sometimes
from . import spec
from .spec import Msg, Quorums, TlaState
from .symmetry import SortedSymmetry

if TYPE_CHECKING:
    from ...trace import Run

INVARIANTS = ("one_value_per_ballot", "agreement", "promise_covers_accept", "vote_is_recorded",
              "promise_is_kept", "accept_is_safe", "votes_safe")
DESCRIPTIONS = {
    "one_value_per_ballot": "all 2a (Accept) messages of a ballot carry one value",
    "agreement": "at most one value is chosen",
    "promise_covers_accept": "maxBal[a] >= maxVBal[a] for every acceptor",
    "vote_is_recorded": "<<maxVBal[a], maxVal[a]>> is a vote a cast (or <<-1, None>>)",
    "promise_is_kept": "a 1b message's acceptor has maxBal >= its ballot and cast the vote "
                       "it reports",
    "accept_is_safe": "every 2a message (b, v) has a quorum that ShowsSafeAt(Q, b, v)",
    "votes_safe": "every vote (b, v) is SafeAt(b, v); one value per ballot among votes",
}
NARROW = frozenset(INVARIANTS) - {"promise_is_kept"}
"""The invariants that read only the acceptor fields and the 2a and 2b messages."""
SOMETIMES = {"value_chosen": "a value is chosen: a quorum of 2b messages of one ballot, which "
                             "a learner hears and learns"}
LIMITS = {"acceptors": 7, "values": 4, "max_ballot": 5}


def _int(name: str, value: Any, lo: int, hi: int) -> int:
    check_int(name, value, lo, hi, why="the tla model's limit")
    return int(value)


class TlaModel(Model[int]):
    """Paxos.tla with ``acceptors`` acceptors a1.., ``values`` values v1.., ballots
    0..``max_ballot`` and explicit quorums (default: the minimal majorities, as in MCPaxos)."""

    name = "tla"

    def __init__(self, acceptors: int = 3, values: int = 2, max_ballot: int = 1,
                 quorums: Sequence[Collection[str]] | None = None,
                 quorums2: Sequence[Collection[str]] | None = None,
                 invariants: Sequence[str] | None = None) -> None:
        self.n = _int("acceptors", acceptors, 1, LIMITS["acceptors"])
        self.k = _int("values", values, 1, LIMITS["values"])
        self.ballots = _int("max_ballot", max_ballot, 0, LIMITS["max_ballot"]) + 1
        self.acceptor_names = tuple(f"a{i + 1}" for i in range(self.n))
        self.value_names = tuple(f"v{i + 1}" for i in range(self.k))
        majority = [set(c) for c in combinations(self.acceptor_names, self.n // 2 + 1)]
        self.quorums1 = self._quorums("quorums", quorums if quorums is not None else majority)
        self.quorums2 = (self.quorums1 if quorums2 is None
                         else self._quorums("quorums2", quorums2))
        chosen = tuple(invariants) if invariants is not None else INVARIANTS
        for name in chosen:
            if name not in INVARIANTS:
                raise UsageError("invariants", "names from " + ", ".join(INVARIANTS), name)
        self.parameters = {"acceptors": self.n, "values": self.k, "max_ballot": self.ballots - 1,
                           "quorums": self._describe(self.quorums1)}
        if quorums2 is not None:
            self.parameters["quorums2"] = self._describe(self.quorums2)
        self._layout()
        q2s = self.quorums2
        self.invariants = [Invariant(n, DESCRIPTIONS[n], self._checker(n)) for n in chosen]
        self._memo_2a: list[dict[int, tuple[int, tuple[int, ...]]]] = [
            {} for _ in range(self.ballots)]
        self.sometimes = [Sometimes("value_chosen", SOMETIMES["value_chosen"],
                                    self._memoised(lambda s: bool(spec.chosen(s, q2s)),
                                                   [self.M2B]))]
        self._memo_1a: dict[int, tuple[int, ...]] = {}
        self._memo_acc: list[dict[int, tuple[int, tuple[tuple[int, int], ...]]]] = [
            {} for _ in range(self.n)]
        self._fast_invariants()
        self._group: list[tuple[list[list[int]], list[int], tuple[int, ...]]] | None = None
        self._sorted: SortedSymmetry | None = None

    @classmethod
    def flexible(cls, acceptors: int, q1: int, q2: int, values: int = 2, max_ballot: int = 1,
                 invariants: Sequence[str] | None = None) -> TlaModel:
        """Flexible Paxos: phase-1 quorums are the sets of ``q1`` acceptors, phase-2 of ``q2``."""
        n = _int("acceptors", acceptors, 1, LIMITS["acceptors"])
        names = [f"a{i + 1}" for i in range(n)]
        sets = [[set(c) for c in combinations(names, _int(f, q, 1, n))]
                for f, q in (("q1", q1), ("q2", q2))]
        return cls(n, values, max_ballot, sets[0], sets[1], invariants)

    def _quorums(self, field: str, sets: Sequence[Collection[str]]) -> Quorums:
        index = {a: i for i, a in enumerate(self.acceptor_names)}
        out = []
        for q in sets:
            if not q or not set(q) <= set(index):
                raise UsageError(field, f"non-empty sets of acceptors from {list(index)}",
                                 sorted(q))
            out.append(frozenset(index[a] for a in q))
        if not out:
            raise UsageError(field, "a non-empty list of acceptor sets", list(sets))
        return tuple(dict.fromkeys(out))

    def _describe(self, qs: Quorums) -> list[str]:
        return ["+".join(self.acceptor_names[a] for a in sorted(q)) for q in qs]

    def intersects(self) -> bool:
        """Does every phase-1 quorum meet every phase-2 quorum?"""
        return all(q1 & q2 for q1 in self.quorums1 for q2 in self.quorums2)

    # -- encoding ---------------------------------------------------------------------------
    def _layout(self) -> None:
        n, k, nb = self.n, self.k, self.ballots
        self.K = (nb + 1) * (nb + 1) * (k + 1)
        self.abits = max(1, (self.K - 1).bit_length())
        self.accbits = n * self.abits
        self.amask = (1 << self.abits) - 1
        msgs: list[Msg] = [("1a", b) for b in range(nb)]
        msgs += [("1b", a, b, mb, mv) for a in range(n) for b in range(nb)
                 for mb in range(-1, nb) for mv in (None, *range(k))]
        msgs += [("2a", b, v) for b in range(nb) for v in range(k)]
        msgs += [("2b", a, b, v) for a in range(n) for b in range(nb) for v in range(k)]
        self.msgs = msgs
        self.bit = {m: 1 << (self.accbits + i) for i, m in enumerate(msgs)}
        self.M1A = self._mask(lambda m: m[0] == "1a")
        self.M2A = self._mask(lambda m: m[0] == "2a")
        self.M1B = self._mask(lambda m: m[0] == "1b")
        self.M2B = self._mask(lambda m: m[0] == "2b")
        self.ACC = (1 << self.accbits) - 1
        self.B1A = tuple(self.bit[("1a", b)] for b in range(nb))
        self.M2A_at = tuple(self._mask(lambda m, b=b: m[0] == "2a" and m[1] == b)  # type: ignore[misc]
                            for b in range(nb))
        self.M1B_at = tuple(self._mask(lambda m, b=b: m[0] == "1b" and m[2] == b)  # type: ignore[misc]
                            for b in range(nb))

    def _mask(self, pred: Callable[[Msg], bool]) -> int:
        out = 0
        for m, bit in self.bit.items():
            if pred(m):
                out |= bit
        return out

    def code(self, mb: int, mvb: int, mv: int | None) -> int:
        nb1 = self.ballots + 1
        return (mb + 1) + nb1 * ((mvb + 1) + nb1 * (0 if mv is None else mv + 1))

    def uncode(self, c: int) -> tuple[int, int, int | None]:
        nb1 = self.ballots + 1
        mv = c // (nb1 * nb1)
        return c % nb1 - 1, (c // nb1) % nb1 - 1, None if mv == 0 else mv - 1

    def encode(self, s: TlaState) -> int:
        out = 0
        for a in range(self.n):
            out |= self.code(s.maxBal[a], s.maxVBal[a], s.maxVal[a]) << (a * self.abits)
        for m in s.msgs:
            out |= self.bit[m]
        return out

    def decode(self, x: int) -> TlaState:
        fields = [self.uncode((x >> (a * self.abits)) & self.amask) for a in range(self.n)]
        msgs = []
        rest = x >> self.accbits
        while rest:
            low = rest & -rest
            msgs.append(self.msgs[low.bit_length() - 1])
            rest ^= low
        return TlaState(tuple(f[0] for f in fields), tuple(f[1] for f in fields),
                        tuple(f[2] for f in fields), frozenset(msgs))

    # -- the search interface ---------------------------------------------------------------
    def initial_states(self) -> list[int]:
        return [self.encode(spec.init(self.n))]

    def actions(self, state: int) -> list[tuple[Action, int]]:
        steps = spec.next_steps(self.decode(state), self.ballots, self.k, self.quorums1)
        return [(self._named(a), self.encode(t)) for a, t in steps]

    def _named(self, a: Action) -> Action:  # acceptor and value names instead of indices
        an, vn = self.acceptor_names, self.value_names
        if a.name == "Phase1b":
            return Action(a.name, (an[a.args[0]], a.args[1]))
        if a.name == "Phase2a":
            q, witness = a.via
            return Action(a.name, (a.args[0], vn[a.args[1]]),
                          (tuple(an[i] for i in q), witness))
        if a.name == "Phase2b":
            return Action(a.name, (an[a.args[0]], a.args[1], vn[a.args[2]]))
        return a

    def acceptors(self) -> tuple[str, ...]:
        return self.acceptor_names

    def actor(self, action: Action) -> str | None:
        """Phase1b and Phase2b are the acceptor's (its name is their first argument)."""
        return action.args[0] if action.name in ("Phase1b", "Phase2b") else None

    def successors(self, s: int) -> tuple[int, list[int]]:
        """Same successors and count as ``actions``, from memoised slices of the state."""
        out = []
        m1a = s & self.M1A
        missing = self._memo_1a.get(m1a)
        if missing is None:
            missing = self._memo_1a[m1a] = tuple(b for b in self.B1A if not m1a & b)
        for bit in missing:
            out.append(s | bit)
        count = self.ballots
        m12 = s & (self.M1A | self.M2A)
        abits, amask = self.abits, self.amask
        for a, memo in enumerate(self._memo_acc):
            key = m12 | ((s >> (a * abits)) & amask)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = self._acceptor_steps(a, key)
            count += hit[0]
            for dacc, bit in hit[1]:
                t = (s + dacc) | bit
                if t != s:
                    out.append(t)
        for b, memo2 in enumerate(self._memo_2a):
            key = s & (self.M2A_at[b] | self.M1B_at[b])
            hit2 = memo2.get(key)
            if hit2 is None:
                hit2 = memo2[key] = self._phase2a_steps(b, key)
            count += hit2[0]
            for bit in hit2[1]:
                out.append(s | bit)
        return count, out

    def _acceptor_steps(self, a: int, key: int) -> tuple[int, tuple[tuple[int, int], ...]]:
        """Phase1b(a) and Phase2b(a) as (count, (acceptor-field delta, message bit) pairs)."""
        c = key & self.amask
        shift = a * self.abits
        s = self.decode(key - c + (c << shift))
        steps = spec.phase1b(s, a) + spec.phase2b(s, a)
        out = []
        for _, t in steps:
            new = self.code(t.maxBal[a], t.maxVBal[a], t.maxVal[a])
            (sent,) = t.msgs - s.msgs  # the key holds no 1b/2b bits: the reply is new here
            out.append(((new - c) << shift, self.bit[sent]))
        return len(steps), tuple(out)

    def _phase2a_steps(self, b: int, key: int) -> tuple[int, tuple[int, ...]]:
        s = self.decode(key)
        count, bits = 0, []
        for v in range(self.k):
            ways = spec.phase2a(s, b, v, self.quorums1)
            if ways:
                count += len(ways)
                bits.append(self.bit[("2a", b, v)])
        return count, tuple(bits)

    # -- invariants -------------------------------------------------------------------------
    def _checker(self, name: str) -> Callable[[int], bool]:
        """The invariant ``name`` as a memoised function of the bits it reads. The three that
        are conjunctions over acceptors (each conjunct reading only that acceptor's field and
        messages) are memoised per acceptor: the key is one acceptor's slice, the other
        acceptors reading as code 0, (-1, -1, None) with no messages, which satisfies each."""
        q1, q2 = self.quorums1, self.quorums2
        pred, masks = {
            "one_value_per_ballot": (spec.one_value_per_ballot, [self.M2A]),
            "agreement": (lambda s: spec.agreement(s, q2), [self.M2B]),
            "promise_covers_accept": (spec.promise_covers_accept, self._per_acceptor(0)),
            "vote_is_recorded": (spec.vote_is_recorded, self._per_acceptor(self.M2B)),
            "promise_is_kept": (spec.promise_is_kept, self._per_acceptor(self.M1B | self.M2B)),
            "accept_is_safe": (lambda s: spec.accept_is_safe(s, q1),
                               [self.ACC | self.M2A | self.M2B]),
            "votes_safe": (lambda s: spec.votes_safe(s, q2), [self.ACC | self.M2B]),
        }[name]
        return self._memoised(pred, masks)

    def _memoised(self, pred: Callable[[TlaState], bool],
                  masks: list[int]) -> Callable[[int], bool]:
        """``pred`` on packed states, computed once per value of the bits each of ``masks``
        keeps (all of them must hold)."""
        memo: dict[int, bool] = {}
        decode = self.decode

        def holds(x: int) -> bool:
            for mask in masks:
                key = x & mask
                ok = memo.get(key)
                if ok is None:
                    ok = memo[key] = pred(decode(key))
                if not ok:
                    return False
            return True

        return holds

    def _per_acceptor(self, kinds: int) -> list[int]:
        """Per acceptor: the mask of its field and of its messages among ``kinds``."""
        out = []
        for a in range(self.n):
            mine = self._mask(lambda m, a=a: m[0] in ("1b", "2b") and m[1] == a)  # type: ignore[misc]
            out.append((self.amask << (a * self.abits)) | (mine & kinds))
        return out

    def _fast_invariants(self) -> None:
        """``violated``'s fast path: one memo over the acceptor fields and the 2a and 2b bits
        for every invariant reading no more than those, then the others."""
        self._narrow_mask = self.ACC | self.M2A | self.M2B
        self._narrow = [i.holds for i in self.invariants if i.name in NARROW]
        self._wide = [i.holds for i in self.invariants if i.name not in NARROW]
        self._narrow_memo: dict[int, bool] = {}

    def violated(self, state: int) -> tuple[str, ...]:
        key = state & self._narrow_mask
        ok = self._narrow_memo.get(key)
        if ok is None:
            ok = self._narrow_memo[key] = all(holds(key) for holds in self._narrow)
        if ok:
            for holds in self._wide:
                if not holds(state):
                    break
            else:
                return ()
        return tuple(i.name for i in self.invariants if not i.holds(state))

    def explain(self, state: int, names: tuple[str, ...]) -> str:
        s = self.decode(state)
        chosen = sorted(self.value_names[v] for v in spec.chosen(s, self.quorums2))
        text = "; ".join(DESCRIPTIONS[n] + " fails" for n in names)
        return f"{text} (chosen: {', '.join(chosen) or 'nothing'})"

    def describe_state(self, state: int) -> str:
        s = self.decode(state)
        an, vn = self.acceptor_names, self.value_names
        def val(v: int | None) -> str:
            return "None" if v is None else vn[v]
        acc = ", ".join(f"{an[a]}: maxBal={s.maxBal[a]} maxVBal={s.maxVBal[a]} "
                        f"maxVal={val(s.maxVal[a])}" for a in range(self.n))
        return f"{acc}; {len(s.msgs)} messages"

    # -- symmetry ---------------------------------------------------------------------------
    def canonical(self, state: int) -> tuple[int, int]:
        if self._sorted is None and len(self.acceptor_symmetries()) == factorial(self.n):
            self._sorted = SortedSymmetry(self)
        if self._sorted is not None:
            return self._sorted.canonical(state)
        return self.least_image(state)

    def least_image(self, state: int) -> tuple[int, int]:
        """(the least image of ``state`` under the whole group, the orbit's size): the
        representative for lopsided quorum systems, and the reference for ``SortedSymmetry``."""
        if self._group is None:
            self._group = [self._permuter(pa, pv) for pa in self.acceptor_symmetries()
                           for pv in permutations(range(self.k))]
        msgs = state >> self.accbits
        chunks = [(msgs >> (8 * i)) & 255 for i in range((len(self.msgs) + 7) // 8)]
        fields = [(state >> (a * self.abits)) & self.amask for a in range(self.n)]
        images = set()
        for tables, shifts, recode in self._group:
            x = 0
            for table, chunk in zip(tables, chunks, strict=True):
                x |= table[chunk]
            x <<= self.accbits
            for c, shift in zip(fields, shifts, strict=True):
                x |= recode[c] << shift
            images.add(x)
        return min(images), len(images)

    def acceptor_symmetries(self) -> list[tuple[int, ...]]:
        """Permutations of the acceptors that map the quorum systems onto themselves (all of
        them for majorities; fewer for a lopsided explicit system)."""
        def keeps(pa: tuple[int, ...], qs: Quorums) -> bool:
            return {frozenset(pa[a] for a in q) for q in qs} == set(qs)
        return [pa for pa in permutations(range(self.n))
                if keeps(pa, self.quorums1) and keeps(pa, self.quorums2)]

    def _permuter(self, pa: tuple[int, ...],
                  pv: tuple[int, ...]) -> tuple[list[list[int]], list[int], tuple[int, ...]]:
        def image(m: Msg) -> Msg:
            def val(v: int | None) -> int | None:
                return None if v is None else pv[v]
            if m[0] == "1b":
                return ("1b", pa[m[1]], m[2], m[3], val(m[4]))
            if m[0] == "2a":
                return ("2a", m[1], pv[m[2]])
            if m[0] == "2b":
                return ("2b", pa[m[1]], m[2], pv[m[3]])
            return m

        index = {m: i for i, m in enumerate(self.msgs)}
        target = [index[image(m)] for m in self.msgs]
        tables = []
        for i in range(0, len(self.msgs), 8):
            table = []
            for chunk in range(256):
                x = 0
                for j in range(8):
                    if chunk >> j & 1 and i + j < len(self.msgs):
                        x |= 1 << target[i + j]
                table.append(x)
            tables.append(table)
        recode = []
        for c in range(1 << self.abits):
            mb, mvb, mv = self.uncode(c) if c < self.K else (-1, -1, None)
            recode.append(self.code(mb, mvb, None if mv is None else pv[mv]))
        return tables, [pa[a] * self.abits for a in range(self.n)], tuple(recode)

    # -- traces -----------------------------------------------------------------------------
    def to_run(self, states: list[int], actions: list[Action]) -> Run:
        from .trace import run_of
        return run_of(self, [self.decode(s) for s in states], actions)

