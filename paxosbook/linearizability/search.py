"""Wing & Gong's linearizability search with Lowe's memoisation, as porcupine runs it.

Theory of operation. The history becomes a list of entries, a call and a return per operation,
in time order. The search walks the list: at a call it tries to linearize that operation now
(the model accepts its result in the current state), lifting the call and its return out of the
list and starting again from the head; at a return it has failed to linearize the operation
that return belongs to before it completed, so it backtracks by undoing the last choice. The
list empties exactly when every operation found a place: the history is linearizable. Lowe's
improvement: a configuration is the set of operations linearized so far plus the model's state,
and a configuration met before is never explored again (the cache), which turns the exponential
search into one that is usually fast.

An ``info`` operation returns at ``NEVER``, after everything else, so it may be linearized at
any point after its call; linearizing it last, after every operation that was seen, is the same
as its never having happened.

The search counts the configurations it caches; past ``max_states`` it stops and says it could
not decide (``None``), so memory stays bounded.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from .history import Operation
from .models import Model

__all__ = ["DEFAULT_MAX_STATES", "linearizable"]

DEFAULT_MAX_STATES = 2_000_000
"""Configurations cached per key before the search gives up (about 0.5 GB at most)."""


NO_STATE: Any = object()


class SearchLimit(Exception):
    """The search met more than ``max_states`` configurations."""


def linearizable(model: Model, ops: list[Operation], max_states: int = DEFAULT_MAX_STATES,
                 cached: list[int] | None = None, init: Any = NO_STATE) -> bool:
    """Whether ``ops`` (one key's observed operations) is linearizable; ``SearchLimit`` when the
    search would cache more than ``max_states`` configurations. ``cached[0]`` is set to the
    number of configurations cached. ``init``: a start state other than the model's."""
    cache = _Cache()
    try:
        return _search(model, ops, max_states, cache,
                       model.init if init is NO_STATE else init)
    finally:
        if cached is not None:
            cached[0] = len(cache)


class _Cache:
    """The configurations met: (linearized operations as bits, model state)."""

    def __init__(self) -> None:
        self.seen: set[tuple[int, Any]] = set()

    def __len__(self) -> int:
        return len(self.seen)

    def add(self, bits: int, state: Any) -> bool:
        """Record the configuration; ``False`` if it was met before."""
        if (bits, state) in self.seen:
            return False
        self.seen.add((bits, state))
        return True


def _search(model: Model, ops: list[Operation], max_states: int, cache: _Cache,
            init: Any) -> bool:
    n = len(ops)
    if n == 0:
        return True
    order = _entries(ops)
    nxt = [-1] * (2 * n + 1)
    prv = [-1] * (2 * n + 1)
    head = 2 * n
    last = head
    for e in order:
        nxt[last], prv[e] = e, last
        last = e
    nxt[last] = -1

    def lift(call: int) -> None:
        for e in (call, call + n):
            p, q = prv[e], nxt[e]
            nxt[p] = q
            if q != -1:
                prv[q] = p

    def unlift(call: int) -> None:
        for e in (call + n, call):
            p, q = prv[e], nxt[e]
            nxt[p] = e
            if q != -1:
                prv[q] = e

    step = model.step
    state: Any = init
    linearized = 0
    calls: list[tuple[int, Any]] = []
    entry = nxt[head]
    while nxt[head] != -1:
        if entry < n:  # a call: try to linearize it here
            ok, new_state = step(state, ops[entry])
            if ok:
                bits = linearized | (1 << entry)
                if cache.add(bits, new_state):
                    if len(cache) > max_states:
                        raise SearchLimit(max_states)
                    calls.append((entry, state))
                    state, linearized = new_state, bits
                    lift(entry)
                    entry = nxt[head]
                    continue
            entry = nxt[entry]
        else:  # a return whose call is not linearized: undo the last choice
            if not calls:
                return False
            entry, state = calls.pop()
            linearized &= ~(1 << entry)
            unlift(entry)
            entry = nxt[entry]
    return True


def _entries(ops: list[Operation]) -> list[int]:
    """Entries 0..n-1 are calls, n..2n-1 returns, in time order, a call before a return at a
    tie. Which call of those before the next return the search tries first is free (each is
    tried in turn when backtracking); indeterminate ones go last, as they rarely explain the
    next return, which makes linearizable histories with many timeouts fast to accept."""
    n = len(ops)
    rets = sorted(op.ret for op in ops)
    keys: list[tuple[float, int, int, int]] = []
    for e, op in enumerate(ops):
        if op.ret == math.inf:  # just before the first return after its call
            keys.append((rets[bisect.bisect_right(rets, op.call)], 0, 1, e))
        else:
            keys.append((op.call, 0, 0, e))
    keys += [(op.ret, 1, 0, n + e) for e, op in enumerate(ops)]
    return [k[3] for k in sorted(keys)]
