"""The breadth-first level loop of the ``actors`` model, with sleep sets, as arrays.

Theory of operation. This is one more interpreter of the model's own tables, not a second
model: every node step is ``ActorModel.step`` (the core's handler, memoised), every pruning
decision is ``Prune.live``, every ghost is ``ActorModel._ghost_add``, every renaming is
``Symmetry``'s, every verdict is ``ActorModel.violated``. What changes is the bookkeeping around
them. Where ``engine._Search.sleep_level`` handles one state at a time in Python objects, this
loop handles a whole breadth-first level at once as numpy arrays:

* a state is one row of unsigned 64-bit words: the network's message bits, the ghost id, the
  restarts left and one node state id per node; a sleep set is a row too (its timer and
  restart bits in one word, its message bits in the others);
* the tables (node state, event) -> (next node state, sends, ghost delta), "would this node
  ignore this message" and the ghost and renaming maps are dense arrays, filled from the
  model's functions for the entries a level misses;
* the seen set is a hash table of 64-bit row hashes with the rows themselves: every hash hit
  is checked word by word, and two different rows with one hash raise ``Collision`` (the
  engine then searches again without arrays), so a hash never decides anything;
* a level is expanded ``CHUNK`` frontier rows at a time, its new states merged as the chunks
  come (``_Level``), so only a chunk's successors are ever held at once;
* the first, small levels are the Python loop's own (``sleep_level``): the arrays take over
  (``seed``) at the first level of ``SWITCH`` states, where they start to pay;
* verdicts and sometimes-properties are memoised on what they read (the ghost, the watched
  nodes' states and the learners' inbox, as ``ActorModel.violated``), misses asked of the model.

Given the model's numbering of messages (interned ids), everything the Python level loop
decides is decided here the same way and in the same order:
successors of a state in the order deliveries (by message id), timeouts (by node and timer),
restarts; a delivery that is a self-loop goes to sleep in its siblings; the sleep set of each
successor is the one ``Sleep._set_successors`` gives; new states are numbered in the order the
Python loop first meets them, with the same parent; an arrival at a state of this level
intersects its sleep set (raw when the arrival already is a representative, as the Python
loop does), an arrival at an older state is ignored; the first violation, the counters at
that moment and every counterexample are the Python loop's. ``tests/test_check_vector.py``
checks all of it against ``sleep_level``, level by level (states, order, parents, sleep sets,
figures, violations, witnesses, stops), on one model instance, and that planted mistakes are
caught. The numbering itself may differ on a fresh model: misses are filled a level at a time
(sorted), where the Python loop fills them state by state, so messages are interned in another
order; the order of deliveries within a state follows the ids, hence so may which of several
equally short counterexamples is met first and the counters at a stop. A complete search's
figures do not depend on it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import LIMIT_CHECK_EVERY as LOOK_EVERY
from ..engine import _Stop
from ..model import Collision
from .base import RESTART, TIMER_BASE, TIMERS, State

if TYPE_CHECKING:
    from ..engine import _Search
    from .model import ActorModel

U = np.uint64
I64 = np.int64
_ALL = U(0xFFFFFFFFFFFFFFFF)
_MULTS = np.random.default_rng(0x9A705).integers(1, 2**63, size=256, dtype=np.uint64) | U(1)
_GHOST, _LEFT, _NODES = 200, 201, 202
"""Hash multipliers: message word k uses _MULTS[k], then the ghost, the restarts, the nodes."""
MAX_WORDS = 160
"""Message words a row may have (10,240 messages; the multipliers above stop at 200): beyond,
the search is done by the Python loop."""
SWITCH = 2_000
"""The frontier size from which the arrays take a search over from the Python loop."""
CHUNK = 32_768
"""Frontier rows expanded at a time: the successors of a level exist a chunk at a time (a
level's new states, far fewer, all at once)."""
_merge_sleeps = np.bitwise_and.reduceat
"""Arrivals at one new state: the intersection of their sleep sets (``sleep_level``)."""


class _Widen(Exception):
    """More messages than the rows have room for: the rows are widened and the level redone."""


def _mix(x: np.ndarray) -> np.ndarray:
    """A 64-bit mixer with ``_mix(0) == 0`` (a zero word adds nothing: widening keeps hashes)."""
    x = x ^ (x >> U(31))
    x = x * U(0x9E3779B97F4A7C15)
    return x ^ (x >> U(29))


_BYTE_BITS = [[b for b in range(8) if v >> b & 1] for v in range(256)]
_BYTE_COUNT = np.array([len(x) for x in _BYTE_BITS], I64)
_BYTE_START = np.concatenate([[0], np.cumsum(_BYTE_COUNT)[:-1]]).astype(I64)
_BYTE_FLAT = np.array([b for x in _BYTE_BITS for b in x], I64)
"""Each byte value's set bits, lowest first, all in one array (``_BYTE_START`` into it)."""


def _bits(words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, bit position) of every set bit of a (rows, words) array, row-major, lowest first:
    the non-zero bytes found, then each one's bits from a table."""
    by = np.ascontiguousarray(words).view(np.uint8)
    r, p = np.nonzero(by)
    v = by[r, p]
    count = _BYTE_COUNT[v]
    total = int(count.sum())
    ends = np.cumsum(count)
    within = np.arange(total, dtype=I64) - np.repeat(ends - count, count)
    bit = _BYTE_FLAT[np.repeat(_BYTE_START[v], count) + within]
    return np.repeat(r.astype(I64), count), np.repeat(p.astype(I64) * 8, count) + bit


def _lexless(a: np.ndarray, b: np.ndarray, order: list[int]) -> np.ndarray:
    """Row-wise ``a < b`` comparing the columns in ``order`` (Python's tuple order on states)."""
    less = np.zeros(len(a), bool)
    tied = np.ones(len(a), bool)
    for c in order:
        x, y = a[:, c], b[:, c]
        less |= tied & (x < y)
        tied &= x == y
    return less


def applies(model: ActorModel) -> bool:
    """Does this loop apply to ``model``: a set network, every timer and restart bit in one
    word?"""
    return model.network == "set" and model.sleep.low <= 64


class Seen:
    """Rows by hash: an open-addressing table of 64-bit row hashes (linear probing, at most
    about 60% full), each with the index of its row. A hash hit is checked word by word
    against its row, and a second row with a known hash is a ``Collision``: the hash only
    finds. The rows are kept in the blocks they were added in (no copy as they grow)."""

    def __init__(self, width: int) -> None:
        self.blocks: list[np.ndarray] = []
        self.starts = np.zeros(0, I64)
        self.width = width
        self.hashes = np.zeros(1024, U)
        self.count = 0
        self._size(1 << 12)

    def _size(self, slots: int) -> None:
        self.bits = slots.bit_length() - 1
        self.keys = np.zeros(slots, U)  # 0: an empty slot
        self.at = np.full(slots, -1, I64)

    @staticmethod
    def _nonzero(h: np.ndarray) -> np.ndarray:
        return np.where(h == 0, U(1), h)

    def _start(self, h: np.ndarray) -> np.ndarray:
        return (h >> U(64 - self.bits)).astype(I64)

    def rows_at(self, idx: np.ndarray) -> np.ndarray:
        """The rows with indices ``idx``."""
        out = np.empty((len(idx), self.width), U)
        block = np.searchsorted(self.starts, idx, side="right") - 1
        for b in np.unique(block).tolist():
            sel = np.flatnonzero(block == b)
            out[sel] = self.blocks[b][idx[sel] - self.starts[b]]
        return out

    def rows(self) -> np.ndarray:
        """Every row, in order."""
        return np.concatenate(self.blocks) if self.blocks else np.zeros((0, self.width), U)

    def find(self, h: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """The index of each row (-1 if unknown); a hash hit whose row differs collides."""
        h = self._nonzero(h)
        slot = self._start(h)
        mask = (1 << self.bits) - 1
        out = np.full(len(h), -1, I64)
        todo = np.arange(len(h))
        while len(todo):
            k = self.keys[slot[todo]]
            hit = k == h[todo]
            out[todo[hit]] = self.at[slot[todo[hit]]]
            todo = todo[~hit & (k != 0)]
            slot[todo] = (slot[todo] + 1) & mask
        hit = out >= 0
        if hit.any() and not (self.rows_at(out[hit]) == rows[hit]).all():
            raise Collision
        return out

    def add(self, h: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Append rows (distinct and none known); their indices."""
        h = self._nonzero(h)
        n = len(rows)
        if self.count + n > len(self.hashes):
            cap = len(self.hashes)
            while self.count + n > cap:
                cap *= 2
            self.hashes = _grown(self.hashes[:self.count], cap)
        idx = np.arange(self.count, self.count + n, dtype=I64)
        if n:
            self.blocks.append(np.array(rows, U))
            self.starts = np.append(self.starts, self.count)
        self.hashes[self.count:self.count + n] = h
        self.count += n
        if 5 * self.count > 3 * len(self.keys):  # grow, and place every row again
            slots = len(self.keys)
            while 5 * self.count > 3 * slots:
                slots *= 2
            self._size(slots)
            self._place(self.hashes[:self.count], np.arange(self.count, dtype=I64))
        else:
            self._place(h, idx)
        return idx

    def _place(self, h: np.ndarray, idx: np.ndarray) -> None:
        slot = self._start(h)
        mask = (1 << self.bits) - 1
        todo = np.arange(len(h))
        while len(todo):
            k = self.keys[slot[todo]]
            if (k == h[todo]).any():
                raise Collision
            free = todo[k == 0]
            _, first = np.unique(slot[free], return_index=True)  # one row per free slot
            won = free[first]
            self.keys[slot[won]] = h[won]
            self.at[slot[won]] = idx[won]
            left = np.ones(len(h), bool)
            left[won] = False
            todo = todo[left[todo]]
            busy = self.keys[slot[todo]] != 0
            slot[todo[busy]] = (slot[todo[busy]] + 1) & mask

    def widen(self, at: int, extra: int) -> None:
        """Insert ``extra`` zero columns at column ``at`` (hashes do not change)."""
        self.width += extra
        self.blocks = [_zero_columns(b, at, extra) for b in self.blocks]


class _Level:
    """The new states of one level so far, in the order of their first arrival, each with its
    parent, orbit size and sleep set (the intersection of what every arrival brought)."""

    def __init__(self, width: int, sleep_width: int) -> None:
        self.seen = Seen(width)
        self.parent = np.zeros(1024, I64)
        self.orbit = np.zeros(1024, I64)
        self.sleep = np.zeros((1024, sleep_width), U)

    def merge(self, rows: np.ndarray, h: np.ndarray, parent: np.ndarray, orbit: np.ndarray,
              first: np.ndarray, later: np.ndarray) -> None:
        """Arrivals, in order: each brings sleep set ``first`` if it is the first arrival at
        its state and ``later`` otherwise."""
        if not len(rows):
            return
        order = np.lexsort((np.arange(len(rows)), h))
        hs = h[order]
        starts = np.flatnonzero(np.concatenate([[True], hs[1:] != hs[:-1]]))
        group = np.cumsum(np.concatenate([[False], hs[1:] != hs[:-1]]))
        head = order[starts]  # the first arrival at each state of this chunk
        if not (rows[order] == rows[head][group]).all():
            raise Collision
        rest = later[order]
        rest[starts] = _ALL  # (the head brings one or the other, below)
        rest = _merge_sleeps(rest, starts, axis=0)
        at = self.seen.find(h[head], rows[head])
        old = at >= 0  # met in an earlier chunk: every arrival here is a later one
        self.sleep[at[old]] &= later[head[old]] & rest[old]
        new = np.flatnonzero(~old)
        new = new[np.argsort(head[new], kind="stable")]  # in the order of first arrival
        fresh = head[new]
        idx = self.seen.add(h[fresh], rows[fresh])
        if len(idx) and idx[-1] >= len(self.parent):
            cap = max(2 * len(self.parent), int(idx[-1]) + 1)
            self.parent, self.orbit, self.sleep = (
                _grown(x, cap) for x in (self.parent, self.orbit, self.sleep))
        self.parent[idx] = parent[fresh]
        self.orbit[idx] = orbit[fresh]
        self.sleep[idx] = first[fresh] & rest[new]

    def result(self) -> tuple[np.ndarray, ...]:
        """(rows, sleep sets, parents, orbit sizes, hashes) of the level's new states."""
        n = self.seen.count
        return (self.seen.rows(), self.sleep[:n], self.parent[:n], self.orbit[:n],
                self.seen.hashes[:n])


def _zero_columns(a: np.ndarray, at: int, extra: int) -> np.ndarray:
    """``a`` with ``extra`` zero columns inserted at column ``at``."""
    return np.concatenate([a[:, :at], np.zeros((len(a), extra), U), a[:, at:]], axis=1)


def _grown(a: np.ndarray, rows: int) -> np.ndarray:
    out = np.empty((rows, *a.shape[1:]), a.dtype)
    out[:len(a)] = a
    return out


class VectorSearch:
    """The level loop for one ``ActorModel`` (see the module's docstring)."""

    def __init__(self, model: ActorModel) -> None:
        m = self.model = model
        self.n, self.nt, self.low = len(m.nodes), len(TIMERS), m.sleep.low
        n, nt = self.n, self.nt
        self.restartable = list(m.restartable)
        self.watched = list(m.watched)
        self.symmetric = list(m.symmetric)
        self.built = 0
        """Successor states built (as ``bench_por`` counts them)."""
        self.nm = self.nl = self.ng = 0
        self.wm = max(1, (len(m.dst) + 64 + 63) // 64)
        self.cm = 64 * self.wm
        self.dst = np.zeros(self.cm, I64)
        self.to = np.zeros((n, self.wm), U)
        self.dep_low = np.zeros((2, n), U)
        self.dep_msg = np.zeros((2, n, self.wm), U)
        """Per node, the steps a delivery or timeout [0] or a restart [1] of it depends on."""
        self.aside = np.zeros(self.wm, U)
        self.node = np.zeros(0, I64)
        self.armed_bits = np.zeros(0, U)
        self.armed_count = np.zeros(0, I64)
        self.nid = np.zeros((0, self.cm + nt + 1), np.int32)
        self.sid = np.zeros((0, self.cm + nt + 1), np.int32)
        self.did = np.zeros((0, self.cm + nt + 1), np.int32)
        self.live_mask = np.zeros((0, self.wm), U)
        self.known = np.zeros((0, self.wm), U)
        self.send_ids: dict[int, int] = {0: 0}
        self.sends = np.zeros((16, self.wm), U)
        self.delta_ids: dict[Any, int] = {}
        self.deltas: list[Any] = []
        self.gadd = np.full((0, 8), -1, np.int32)
        self.group: list[Any] = []
        self.images: list[dict[str, Any]] = []
        self.seen = Seen(self.width)
        self.verdict_seen: Seen | None = None
        self.verdict_codes = np.zeros(0, I64)
        self.names: list[tuple[str, ...]] = []
        self.name_codes: dict[tuple[str, ...], int] = {}
        self.parent = np.zeros(0, I64)
        self._layout()
        self._sync()

    # -- layout -----------------------------------------------------------------------------
    @property
    def width(self) -> int:
        return self.wm + 2 + self.n

    def _layout(self) -> None:
        wm, n = self.wm, self.n
        self.cm = 64 * wm
        self.mult = np.concatenate([_MULTS[:wm], _MULTS[[_GHOST, _LEFT]],
                                    _MULTS[_NODES:_NODES + n]])
        self.vmult = np.concatenate([_MULTS[[_GHOST]], _MULTS[_NODES:_NODES + len(self.watched)],
                                     _MULTS[:wm]])
        below = np.zeros((self.cm, wm), U)
        for mid in range(self.cm):
            below[mid, :mid // 64] = _ALL
            below[mid, mid // 64] = U((1 << (mid % 64)) - 1)
        self.below = below
        self.order = [*range(wm - 1, -1, -1), *range(wm, wm + 2 + n)]
        """Columns in the order Python compares state tuples (the network as an int first)."""

    def _widen(self, need: int) -> None:
        """Room for ``need`` messages: every table with message columns grows."""
        old_wm, old_cm, nt = self.wm, self.cm, self.nt
        wm = (need + 64 + 63) // 64
        if wm > MAX_WORDS:  # pragma: no cover - a deployment near the model's LIMITS
            raise Collision  # (the engine falls back to the Python loop)
        extra = wm - old_wm
        self.wm = wm
        self._layout()

        self.to, self.live_mask, self.known, self.sends = (
            _zero_columns(a, old_wm, extra) for a in (self.to, self.live_mask, self.known,
                                                      self.sends))
        self.dep_msg = np.zeros((2, self.n, wm), U)
        self.aside = np.concatenate([self.aside, np.zeros(extra, U)])
        self.dst = np.concatenate([self.dst, np.zeros(self.cm - old_cm, I64)])
        for name in ("nid", "sid", "did"):
            a = getattr(self, name)
            b = np.full((len(a), self.cm + nt + 1), -1, np.int32)
            b[:, :old_cm] = a[:, :old_cm]
            b[:, self.cm:] = a[:, old_cm:]
            setattr(self, name, b)
        for img in self.images:
            img["built"] = 0
        self.seen.widen(old_wm, extra)
        if self.verdict_seen is not None:
            self.verdict_seen.widen(self.verdict_seen.width, extra)
        self._messages()

    def _sync(self) -> None:
        """Catch up with what the model interned since (messages, node states, ghosts)."""
        m = self.model
        nm = len(m.dst)
        if nm > self.cm:
            self._widen(nm)
            raise _Widen
        if nm != self.nm:
            self._messages()
        nl = len(m.armed)
        if nl > self.nl:
            cap = len(self.node)
            if nl > cap:
                cap = max(2 * cap, nl, 64)
                self.node = self._grow(self.node, cap, 0)
                self.armed_bits = self._grow(self.armed_bits, cap, 0)
                self.armed_count = self._grow(self.armed_count, cap, 0)
                self.nid = self._grow(self.nid, cap, -1)
                self.sid = self._grow(self.sid, cap, -1)
                self.did = self._grow(self.did, cap, -1)
                self.live_mask = self._grow(self.live_mask, cap, 0)
                self.known = self._grow(self.known, cap, 0)
                for img in self.images:
                    img["locals"] = self._grow(img["locals"], cap, -1)
            nt = self.nt
            for lid in range(self.nl, nl):
                i = m.local(lid)[0]
                self.node[lid] = i
                codes = m.armed[lid]
                self.armed_bits[lid] = U(sum(1 << (i * nt + c - TIMER_BASE) for c in codes))
                self.armed_count[lid] = len(codes)
            self.nl = nl
        ng = len(m._ghosts)
        if ng > self.ng:
            cap = len(self.gadd)
            if ng > cap:
                cap = max(2 * cap, ng, 64)
                self.gadd = self._grow(self.gadd, cap, -1)
                for img in self.images:
                    img["ghosts"] = self._grow(img["ghosts"], cap, -1)
            self.ng = ng

    def _messages(self) -> None:
        """The tables of messages: receivers, masks per node, the independence relation."""
        m = self.model
        nm = len(m.dst)
        self.dst[:nm] = m.dst
        for i in range(self.n):
            self.to[i] = self._words(m.to[i])
        self.aside[:] = self._words(m.inbox_mask)
        self.nm = nm
        # the independence relation is Sleep's: the steps each step depends on, as the
        # timer-and-restart word and the message words
        low, sleep = (1 << self.low) - 1, m.sleep
        for k, code in enumerate((0, RESTART)):
            for i in range(self.n):
                dep = sleep.dependent(i, code)
                self.dep_low[k, i] = U(dep & low)
                self.dep_msg[k, i] = self._words(dep >> self.low)


    @staticmethod
    def _grow(a: np.ndarray, rows: int, fill: int) -> np.ndarray:
        b = np.full((rows, *a.shape[1:]), fill, a.dtype)
        b[:len(a)] = a
        return b

    def _words(self, x: int) -> np.ndarray:
        return np.array([(x >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(self.wm)], U)

    # -- states as rows ---------------------------------------------------------------------
    def encode(self, states: list[State]) -> np.ndarray:
        out = np.zeros((len(states), self.width), U)
        for k, s in enumerate(states):
            out[k, :self.wm] = self._words(s[0])
            out[k, self.wm:] = s[1:]
        return out

    def decode(self, row: np.ndarray) -> State:
        wm = self.wm
        return (int.from_bytes(row[:wm].astype("<u8").tobytes(), "little"),
                *(int(x) for x in row[wm:]))

    def sleep_int(self, row: np.ndarray) -> int:
        """A sleep row as ``Sleep``'s int."""
        msgs = int.from_bytes(row[1:].astype("<u8").tobytes(), "little")
        return int(row[0]) | (msgs << self.low)

    def hash(self, rows: np.ndarray, mult: np.ndarray | None = None) -> np.ndarray:
        mult = self.mult if mult is None else mult
        h = np.zeros(len(rows), U)
        for c in range(rows.shape[1]):
            h += _mix(rows[:, c]) * mult[c]
        return h

    # -- the model's tables, filled on a miss -------------------------------------------------
    def _code(self, col: int) -> int:
        if col < self.cm:
            return col
        return TIMER_BASE + col - self.cm if col < self.cm + self.nt else RESTART

    def steps(self, lid: np.ndarray, col: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(next node state, sends id, ghost delta id or -1) of each (node state, column):
        ``ActorModel.step``, memoised in dense arrays."""
        nid = self.nid[lid, col]
        miss = nid < 0
        if miss.any():
            ncol = self.cm + self.nt + 1
            m = self.model
            done = []
            for key in np.unique(lid[miss] * ncol + col[miss]).tolist():
                lo, c = divmod(key, ncol)
                done.append((lo, c, m.step(int(self.node[lo]), lo, self._code(c))))
            self._sync()
            for lo, c, (n2, sends, delta) in done:
                self.nid[lo, c] = n2
                self.sid[lo, c] = self._send_id(sends)
                self.did[lo, c] = -1 if delta is None else self._delta_id(delta)
            nid = self.nid[lid, col]
        return nid.astype(I64), self.sid[lid, col].astype(I64), self.did[lid, col].astype(I64)

    def _send_id(self, sends: int) -> int:
        out = self.send_ids.get(sends)
        if out is None:
            out = self.send_ids[sends] = len(self.send_ids)
            if out >= len(self.sends):
                self.sends = self._grow(self.sends, 2 * len(self.sends), 0)
            self.sends[out] = self._words(sends)
        return out

    def _delta_id(self, delta: Any) -> int:
        out = self.delta_ids.get(delta)
        if out is None:
            out = self.delta_ids[delta] = len(self.deltas)
            self.deltas.append(delta)
            if out >= self.gadd.shape[1]:
                g = np.full((len(self.gadd), 2 * self.gadd.shape[1]), -1, np.int32)
                g[:, :self.gadd.shape[1]] = self.gadd
                self.gadd = g
        return out

    def live(self, lid: np.ndarray, masks: np.ndarray) -> np.ndarray:
        """The live-message masks of node states ``lid``, known at least on ``masks``
        (``Prune.live``, memoised as bits)."""
        miss = masks & ~self.known[lid]
        rows = np.flatnonzero(miss.any(axis=1))
        if len(rows):
            r, b = _bits(miss[rows])
            live = self.model.pruner.live  # type: ignore[union-attr]
            for key in np.unique(lid[rows][r] * self.cm + b).tolist():
                lo, mid = divmod(key, self.cm)
                w, bit = divmod(mid, 64)
                self.known[lo, w] |= U(1 << bit)
                if live(lo, mid):
                    self.live_mask[lo, w] |= U(1 << bit)
            self._sync()
        return self.live_mask[lid]

    def ghost_add(self, gid: np.ndarray, did: np.ndarray) -> np.ndarray:
        out = self.gadd[gid, did]
        miss = out < 0
        if miss.any():
            nd = self.gadd.shape[1]
            done = [(g, d, self.model._ghost_add(g, self.deltas[d]))
                    for g, d in (divmod(k, nd) for k in np.unique(gid[miss] * nd + did[miss])
                                 .tolist())]
            self._sync()
            for g, d, g2 in done:
                self.gadd[g, d] = g2
            out = self.gadd[gid, did]
        return out.astype(I64)

    # -- one level --------------------------------------------------------------------------
    def expand(self, rows: np.ndarray, sleeps: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(every step counted per row; successors, their sleep rows and parent rows, in the
        order ``Sleep._set_successors`` gives them, row by row)."""
        wm, n, nt, cm = self.wm, self.n, self.nt, self.cm
        m = self.model
        net = rows[:, :wm]
        ghost = rows[:, wm].astype(I64)
        left = rows[:, wm + 1]
        lids = rows[:, wm + 2:].astype(I64)
        z_low, z_msg = sleeps[:, 0], sleeps[:, 1:]
        armed = np.zeros(len(rows), U)
        count = np.bitwise_count(net & ~self.aside).sum(axis=1, dtype=I64)
        for j in range(n):
            armed |= self.armed_bits[lids[:, j]]
            count += self.armed_count[lids[:, j]]
        count += (left > 0) * len(self.restartable) if m.restartable else 0
        cand = net & ~self.aside & ~z_msg
        r, mid = _bits(cand)
        i = self.dst[mid]
        lid = lids[r, i]
        nid, sid, did = self.steps(lid, mid)
        loop = (nid == lid) & (did < 0)
        q = np.flatnonzero(loop)
        if len(q):  # a self-loop: nothing new, or only messages their receivers ignore
            new = self.sends[sid[q]] & ~net[r[q]]
            if m.pruner is not None:
                alive = np.zeros(len(q), bool)
                for j in range(n):
                    part = new & self.to[j]
                    h = np.flatnonzero(part.any(axis=1))
                    if len(h):
                        lm = self.live(lids[r[q[h]], j], part[h])
                        alive[h] |= (part[h] & lm).any(axis=1)
                loop[q] = ~alive
            else:
                loop[q] = ~new.any(axis=1)
        loops = np.zeros((len(rows), wm), U)
        if loop.any():
            np.bitwise_or.at(loops, (r[loop], mid[loop] >> 6),
                             U(1) << (mid[loop] & 63).astype(U))
        awake = cand & ~loops
        a = ~loop
        parts = [(r[a], mid[a], i[a], lid[a], nid[a], sid[a], did[a],
                  z_low[r[a]] & ~self.dep_low[0, i[a]],
                  (z_msg[r[a]] | loops[r[a]] | (awake[r[a]] & self.below[mid[a]]))
                  & ~self.dep_msg[0, i[a]], left[r[a]])]
        done_msg = z_msg | loops | awake
        events = [(j, tc, j * nt + tc) for j in range(n) for tc in range(nt)]
        if m.restartable:
            events += [(j, nt, n * nt + j) for j in self.restartable]
        restarts = U(sum(1 << (n * nt + j) for j in self.restartable))
        enabled = armed | np.where(left > 0, restarts, U(0))
        for j, tc, b in events:
            sel = np.flatnonzero(((enabled & ~z_low) >> U(b)) & U(1))
            if not len(sel):
                continue
            lj = lids[sel, j]
            col = np.full(len(sel), cm + tc, I64)
            n2, s2, d2 = self.steps(lj, col)
            k = int(tc == nt)  # a restart's dependencies
            # done: the sleep set, then every delivery and the earlier timeouts and restarts
            zl = (z_low[sel] | (enabled[sel] & U((1 << b) - 1))) & ~self.dep_low[k, j]
            lf = left[sel] - U(k)
            parts.append((sel, np.full(len(sel), cm + b, I64), np.full(len(sel), j, I64), lj,
                          n2, s2, d2, zl, done_msg[sel] & ~self.dep_msg[k, j], lf))
        # each row's successors: its deliveries (already in message order), then its timer
        # and restart events in the order above; placed without sorting
        per_row = np.bincount(np.concatenate([p[0] for p in parts]), minlength=len(rows))
        offset = np.concatenate([[0], np.cumsum(per_row)[:-1]]).astype(I64)
        placed = np.zeros(len(rows), I64)
        where = []
        for p in parts:
            pos = offset[p[0]] + placed[p[0]]
            if p is parts[0]:  # the deliveries: their rank among their row's
                first = np.searchsorted(p[0], p[0], side="left")
                pos = pos + np.arange(len(p[0]), dtype=I64) - first
                placed += np.bincount(p[0], minlength=len(rows))
            else:  # at most one event of a kind per row
                placed[p[0]] += 1
            where.append(pos)
        dest = np.concatenate(where)
        cols: list[Any] = []
        for k in range(10):
            col = np.concatenate([p[k] for p in parts])
            c = np.empty_like(col)
            c[dest] = col
            cols.append(c)
        pr, _, pi, plid, pnid, psid, pdid, zl, zm, lf = cols
        sends = self.sends[psid]
        t_net = net[pr] | sends
        if m.pruner is not None:
            need = np.flatnonzero((psid != 0) | (pnid != plid))
            if len(need):
                t_net[need] = self.after(t_net[need], pi[need], pnid[need], sends[need],
                                         lids[pr[need]])
        t_ghost = ghost[pr]
        d = np.flatnonzero(pdid >= 0)
        if len(d):
            t_ghost[d] = self.ghost_add(t_ghost[d], pdid[d])
        t_lids = lids[pr]
        t_lids[np.arange(len(pr)), pi] = pnid
        out = np.concatenate([t_net, t_ghost.astype(U)[:, None], lf[:, None],
                              t_lids.astype(U)], axis=1)
        z = np.concatenate([zl[:, None], zm], axis=1)
        self.built += len(out)
        return count, out, z, pr

    def after(self, net: np.ndarray, i: np.ndarray, nid: np.ndarray, sends: np.ndarray,
              lids: np.ndarray) -> np.ndarray:
        """``Prune.after``: without the messages to node ``i`` that its new state ``nid``
        ignores and the new messages their receivers (in the state before) ignore."""
        to_i = self.to[i]
        mine = net & to_i
        net = (net & ~to_i) | (mine & self.live(nid, mine))
        ext = sends & ~to_i
        for j in range(self.n):
            part = ext & self.to[j]
            h = np.flatnonzero(part.any(axis=1))
            if len(h):
                dead = part[h] & ~self.live(lids[h, j], part[h])
                net[h] &= ~dead
        return net

    # -- symmetry ---------------------------------------------------------------------------
    def _images(self) -> None:
        if self.images:
            return
        m = self.model
        self.group = m.symmetry.group()
        n, nt = self.n, self.nt
        for g in self.group:
            low = np.zeros((8, 256), U)
            for b in range(self.low):
                j, t = divmod(b, nt) if b < n * nt else (b - n * nt, -1)
                to = g.node_perm[j] * nt + t if t >= 0 else n * nt + g.node_perm[j]
                byte, bit = divmod(b, 8)
                low[byte, (np.arange(256) >> bit) & 1 == 1] |= U(1 << to)
            self.images.append({
                "g": g, "perm": list(g.node_perm), "identity": g.identity, "low": low,
                "built": 0, "bytes": None,
                "locals": np.full(len(self.node), -1, I64),
                "ghosts": np.full(len(self.gadd), -1, I64)})

    def _net_table(self, img: dict[str, Any]) -> np.ndarray:
        """Per byte position of a network and per byte value, the renamed words."""
        sym, g = self.model.symmetry, img["g"]
        while img["built"] < self.nm or img["bytes"] is None:
            if img["bytes"] is None or img["built"] == 0:
                img["bytes"] = np.zeros((8 * self.wm, 256, self.wm), U)
                img["built"] = 0
            start, stop = img["built"], self.nm
            targets = [sym.msg_image(g, mid) for mid in range(start, stop)]
            self._sync()  # (a renamed message may be new: widening starts again)
            table = img["bytes"]
            for mid, to in zip(range(start, stop), targets, strict=True):
                byte, bit = divmod(mid, 8)
                table[byte, (np.arange(256) >> bit) & 1 == 1, to // 64] |= U(1 << (to % 64))
            img["built"] = stop
        return img["bytes"]

    def image(self, k: int, rows: np.ndarray) -> np.ndarray:
        """The rows renamed by the ``k``-th renaming (``Symmetry._image``)."""
        return np.concatenate([self.image_net(k, rows[:, :self.wm]),
                               self.image_nodes(k, rows)], axis=1)

    def image_net(self, k: int, nets: np.ndarray) -> np.ndarray:
        """Networks (message words) renamed by the ``k``-th renaming, a byte at a time
        (byte columns that are zero in every row are skipped)."""
        table = self._net_table(self.images[k])
        by = np.ascontiguousarray(nets).view(np.uint8)
        out = np.zeros_like(nets)
        used = np.flatnonzero(np.bitwise_or.reduce(by, axis=0)) if len(by) else ()
        for p in used:
            out |= table[p, by[:, p]]
        return out

    def image_nodes(self, k: int, rows: np.ndarray) -> np.ndarray:
        """The ghost, restarts and node state columns of the rows renamed by the ``k``-th
        renaming (node states moved to their new places)."""
        img, wm = self.images[k], self.wm
        out = np.empty((len(rows), 2 + self.n), U)
        ghost = rows[:, wm].astype(I64)
        got = img["ghosts"][ghost]
        if (got < 0).any():
            sym, g = self.model.symmetry, img["g"]
            done = [(x, sym.ghost_image(g, x)) for x in np.unique(ghost[got < 0]).tolist()]
            self._sync()
            for x, y in done:
                img["ghosts"][x] = y
            got = img["ghosts"][ghost]
        out[:, 0] = got.astype(U)
        out[:, 1] = rows[:, wm + 1]
        perm = img["perm"]
        for j in range(self.n):
            lid = rows[:, wm + 2 + j].astype(I64)
            got = img["locals"][lid]
            if (got < 0).any():
                sym, g = self.model.symmetry, img["g"]
                done = [(x, sym.local_image(g, j, x)) for x in np.unique(lid[got < 0]).tolist()]
                self._sync()
                for x, y in done:
                    img["locals"][x] = y
                got = img["locals"][lid]
            out[:, 2 + perm[j]] = got.astype(U)
        return out

    def sleep_image(self, k: int, z: np.ndarray) -> np.ndarray:
        """Sleep rows renamed by the ``k``-th renaming (``Sleep.image``)."""
        img = self.images[k]
        out = np.zeros_like(z)
        out[:, 1:] = self.image_net(k, z[:, 1:])
        low = np.ascontiguousarray(z[:, :1]).view(np.uint8)
        for p in range((self.low + 7) // 8):
            out[:, 0] |= img["low"][p, low[:, p]]
        return out

    def canonical(self, rows: np.ndarray, z: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(each row's representative, its sleep row carried by the same renaming, the
        orbit's size, is the row its own representative): ``Symmetry.canonical_renaming``."""
        self._images()
        sym, wm = self.model.symmetry, self.wm
        index = {id(g): k for k, g in enumerate(self.group)}
        acc = rows[:, [wm + 2 + j for j in self.symmetric]].astype(I64)
        shift = max(1, self.nl.bit_length())
        if shift * len(self.symmetric) <= 63:  # one int per row: a faster unique
            packed = np.zeros(len(acc), I64)
            for c in range(acc.shape[1]):
                packed |= acc[:, c] << (shift * c)
            _, first, inverse = np.unique(packed, return_index=True, return_inverse=True)
            keys = acc[first]
        else:
            keys, inverse = np.unique(acc, axis=0, return_inverse=True)
        cand = np.zeros(len(keys), I64)
        stab = np.zeros(len(keys), I64)
        for u, key in enumerate(keys.tolist()):
            candidates, stabiliser = sym.plan(tuple(key))
            cand[u] = sum(1 << index[id(g)] for g in candidates)
            stab[u] = sum(1 << index[id(g)] for g in stabiliser)
        cand, stab = cand[inverse.ravel()], stab[inverse.ravel()]
        best = rows.copy()
        have = np.zeros(len(rows), bool)
        by = np.zeros(len(rows), I64)
        fixed = np.ones(len(rows), I64)
        for k, img in enumerate(self.images):
            cs = np.flatnonzero((cand >> k) & 1)
            if len(cs):  # a candidate: its image may be the least
                im = rows[cs] if img["identity"] else self.image(k, rows[cs])
                take = ~have[cs] | _lexless(im, best[cs], self.order)
                best[cs[take]] = im[take]
                by[cs[take]] = k
                have[cs] = True
                both = ((stab[cs] >> k) & 1).astype(bool)
                fixed[cs[both]] += (im[both] == rows[cs[both]]).all(axis=1)
            s = np.flatnonzero(((stab & ~cand) >> k) & 1)
            if len(s):  # only in the stabiliser's search: does it fix the row? (the cheap
                # columns first, the network only where they are equal)
                same = (self.image_nodes(k, rows[s]) == rows[s, wm:]).all(axis=1)
                s = s[same]
                fixed[s] += (self.image_net(k, rows[s, :wm]) == rows[s, :wm]).all(axis=1)
        z_out = z.copy()
        for k, img in enumerate(self.images):
            sel = np.flatnonzero(by == k)
            if len(sel) and not img["identity"]:
                z_out[sel] = self.sleep_image(k, z[sel])
        own = (best == rows).all(axis=1)
        return best, z_out, len(self.group) // fixed, own

    # -- verdicts ---------------------------------------------------------------------------
    def verdicts(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(code of the violated names, bit mask of the sometimes-properties that hold) per
        row: ``ActorModel.violated`` and ``satisfied``, memoised on what they read."""
        wm = self.wm
        keys = np.concatenate([rows[:, [wm] + [wm + 2 + j for j in self.watched]],
                               rows[:, :wm] & self.aside], axis=1)
        if self.verdict_seen is None:
            self.verdict_seen = Seen(keys.shape[1])
        vs = self.verdict_seen
        h = self.hash(keys, self.vmult)
        at = vs.find(h, keys)
        miss = np.flatnonzero(at < 0)
        if len(miss):
            uh, first = np.unique(h[miss], return_index=True)
            m = self.model
            props = m.sometimes
            codes = []
            for k in first.tolist():
                state = self.decode(rows[miss[k]])
                names = m.violated(state)
                code = self.name_codes.get(names)
                if code is None:
                    code = self.name_codes[names] = len(self.names)
                    self.names.append(names)
                sat = m.satisfied(state, props)
                codes.append(code | sum(1 << (32 + props.index(p)) for p in sat))
            self._sync()
            vs.add(uh, keys[miss[first]])  # (two keys with one hash collide in the find below)
            self.verdict_codes = np.concatenate([self.verdict_codes, np.array(codes, I64)])
            at = vs.find(h, keys)
        code = self.verdict_codes[at]
        return code & 0xFFFFFFFF, code >> 32

    # -- the search -------------------------------------------------------------------------
    def run(self, search: _Search[Any]) -> None:
        """``_Search.bfs`` with sleep sets (``sleep_level``): the first levels by the Python
        loop while they are small (below ``SWITCH`` states: arrays cost more than they save
        there), then level by level as arrays."""
        if not self.names:
            self.name_codes[()] = 0
            self.names.append(())
        frontier = search.initial()
        search.depth = 1 if frontier else 0
        later: dict[Any, Any] = dict.fromkeys(frontier, 0)
        while frontier and len(frontier) < SWITCH:
            frontier, later = search.sleep_level(frontier, later)
            if frontier:
                search.depth += 1
        if not frontier:
            return
        rows, sleeps, orbits, base = self.seed(search, frontier, later)
        while len(rows):
            while True:
                try:
                    level = self.level(rows, sleeps, search)
                    break
                except _Widen:  # (the message words grew: the frontier's rows too)
                    old_wm = rows.shape[1] - 2 - self.n
                    rows = _zero_columns(rows, old_wm, self.wm - old_wm)
                    sleeps = _zero_columns(sleeps, sleeps.shape[1], self.wm - old_wm)
            rows, sleeps, orbits, base = self.commit(search, level, orbits, base)
            if len(rows):
                search.depth += 1
            if search.bar is not None:
                search.bar.n = self.seen.count
                search.bar.refresh()

    seeded = False
    """Have the arrays taken over (``seed``)? Until then the search's own parents hold every
    state."""

    def seed(self, search: _Search[Any], frontier: list[State], later: dict[Any, Any]
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Take over from the Python loop: every state found so far (in the order found, with
        its parent) as rows, and the frontier with its sleep sets and orbit sizes."""
        while True:
            try:
                self._sync()
                break
            except _Widen:
                continue
        states = list(search.parents)
        index = {s: k for k, s in enumerate(states)}
        rows = self.encode(states)
        self.seen.add(self.hash(rows), rows)
        self.parent = np.array([-1 if p is None else index[p]
                                for p in search.parents.values()], I64)
        base = len(states) - len(frontier)  # the frontier: the states found last
        sleeps = np.zeros((len(frontier), 1 + self.wm), U)
        mask = (1 << self.low) - 1
        for k, s in enumerate(frontier):
            sleeps[k, 0] = later[s] & mask
            sleeps[k, 1:] = self._words(later[s] >> self.low)
        orbits = np.array([search.orbits.pop(s) if search.symmetry else 1 for s in frontier],
                          I64)
        self.distinct = len(states)
        self.seeded = True
        return rows[base:], sleeps, orbits, base

    def level(self, rows: np.ndarray, sleeps: np.ndarray, search: _Search[Any]) -> Any:
        """Everything one level finds, before any of it is recorded (a ``_Widen`` may still
        start it again)."""
        counts = []
        found = _Level(self.width, 1 + self.wm)
        for c0 in range(0, len(rows), CHUNK):  # (memory: the successors of a chunk at a time)
            count, out, z, parent = self.expand(rows[c0:c0 + CHUNK], sleeps[c0:c0 + CHUNK])
            counts.append(count)
            parent += c0
            h = self.hash(out)
            fresh = self.seen.find(h, out) < 0  # an older state: ignored (a representative)
            out, z, parent, h = (x[fresh] for x in (out, z, parent, h))
            if search.symmetry:
                rep, z_rep, orbit, own = self.canonical(out, z)
                h_rep = h.copy()
                moved = np.flatnonzero(~own)
                h_rep[moved] = self.hash(rep[moved])
                keep = self.seen.find(h_rep, rep) < 0
                rep, z_rep, orbit, own, h_rep, z, parent = (
                    x[keep] for x in (rep, z_rep, orbit, own, h_rep, z, parent))
                # an arrival that already is the representative of a state met earlier in
                # this level brings its own sleep set; any other brings it renamed (as
                # sleep_level does)
                later = np.where(own[:, None], z, z_rep)
            else:
                rep, z_rep, h_rep, later = out, z, h, z
                orbit = np.ones(len(out), I64)
            found.merge(rep, h_rep, parent, orbit, z_rep, later)
        count = np.concatenate(counts)
        new_rows, new_sleep, parent, orbit, h_rep = found.result()
        codes, sat = self.verdicts(new_rows)
        return count, new_rows, new_sleep, parent, orbit, h_rep, codes, sat

    def commit(self, search: _Search[Any], level: Any, orbits: np.ndarray, base: int
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """Record a level's new states; meet sometimes-properties and judge violations in
        the order the Python loop meets them, with its counters at that moment."""
        count, rows, sleeps, parent, orbit, h, codes, sat = level
        total0, raw_total0, raw_distinct0 = search.total, search.raw_total, search.raw_distinct
        next_base = self.seen.count
        self.seen.add(h, rows)
        self.parent = np.concatenate([self.parent, parent + base])
        upto = np.cumsum(count)
        raw_upto = np.cumsum(orbits * count)
        orbit_upto = np.cumsum(orbit)

        def at(r: int, found: int) -> None:
            """The counters as the Python loop has them once it has expanded frontier row
            ``r`` and found the first ``found`` new states."""
            search.total = total0 + int(upto[r])
            if search.symmetry:
                search.raw_total = raw_total0 + int(raw_upto[r])
                search.raw_distinct = raw_distinct0 + (int(orbit_upto[found - 1]) if found
                                                       else 0)
            self.distinct = next_base + found

        # max_states: the Python loop looks after expanding every 512th frontier row (rows
        # 0, 512, ...) and stops once it knows that many states; new states come in the
        # order of their parents, so those found by then are a prefix
        stop, kept = -1, len(rows)
        if search.max_states is not None and len(count):
            found_by = np.cumsum(np.bincount(parent, minlength=len(count)))
            looks = np.arange(0, len(count), LOOK_EVERY)
            over = np.flatnonzero(next_base + found_by[looks] >= search.max_states)
            if len(over):
                stop = int(looks[over[0]])
                kept = int(found_by[stop])

        events: list[tuple[int, int, Any]] = []
        for p in list(search.pending):
            bit = search.model.sometimes.index(p)
            hit = np.flatnonzero((sat >> bit) & 1)
            if len(hit) and hit[0] < kept:
                events.append((int(hit[0]), 0, p))
        for k in np.flatnonzero(codes[:kept]).tolist():
            events.append((k, 1, self.names[int(codes[k])]))
        events.sort(key=lambda e: (e[0], e[1], search.pending.index(e[2]) if e[1] == 0 else 0))
        for k, kind, what in events:
            if kind == 0:
                if what in search.pending:
                    search.pending.remove(what)
                    search.met.append((what, self.decode(rows[k])))
            elif not set(what) <= search.broken:
                at(int(parent[k]), k + 1)
                search.judge(self.decode(rows[k]))
        if stop >= 0:
            at(stop, kept)
            raise _Stop("max_states")
        if len(count):
            at(len(count) - 1, len(rows))
        if search.deadline is not None and time.perf_counter() > search.deadline:
            raise _Stop("max_seconds")  # (looked at once a level)
        return rows, sleeps, orbit, next_base

    distinct = 0
    """States found so far (as ``len(_Search.parents)``)."""

    def path_to(self, state: State) -> list[State]:
        """The states from an initial state to ``state``, following parents (once seeded)."""
        row = self.encode([state])
        k = int(self.seen.find(self.hash(row), row)[0])
        path = []
        while k >= 0:
            path.append(self.decode(self.seen.rows_at(np.array([k]))[0]))
            k = int(self.parent[k])
        return path[::-1]


__all__ = ["Collision", "VectorSearch", "applies"]
