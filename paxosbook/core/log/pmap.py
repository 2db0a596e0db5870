"""``PMap``: an immutable, hashable mapping whose ``set`` and ``delete`` return a new map.

The log roles keep one core role state per slot, and a log has thousands of slots: copying a
``dict`` (or a tuple of pairs) for every message would make each step cost the length of the
log. ``PMap`` is a hash array mapped trie: 32-way nodes (tuples, indexed by five bits of the
key's hash at a time, low bits first) whose entries are empty, a leaf ``(hash, key, value)``, a
bucket of leaves with one full hash, or a deeper node. An update copies only the nodes on one
path (three for ten thousand slots) and shares the rest. The shape is a function of the keys
alone (a node exists exactly where two keys share its hash prefix; a delete collapses what is
left), so two maps with the same items compare equal and hash alike, as the model checker
needs of states. Standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_M64 = (1 << 64) - 1
_EMPTY: tuple[Any, ...] = (None,) * 32


# Entries are told apart by their length: a node has 32, a leaf ``(hash, key, value)`` 3 and a
# bucket ``(hash, frozenset of leaves)`` 2 (plain tuples: the cheapest to build and compare).
_NODE, _LEAF, _BUCKET = 32, 3, 2


def _hash(key: Any) -> int:
    return hash(key) & _M64


def _join(a: tuple[Any, ...], b: tuple[Any, ...], shift: int) -> tuple[Any, ...]:
    """The entry holding ``a`` (leaf or bucket) and leaf ``b`` at depth ``shift``."""
    if a[0] == b[0]:
        leaves = a[1] if len(a) == _BUCKET else frozenset((a,))
        return (a[0], leaves | {b})
    ia, ib = (a[0] >> shift) & 31, (b[0] >> shift) & 31
    node = list(_EMPTY)
    if ia == ib:
        node[ia] = _join(a, b, shift + 5)
    else:
        node[ia], node[ib] = a, b
    return tuple(node)


def _delete(node: tuple[Any, ...], shift: int, h: int, key: Any) -> Any:
    """``node`` without ``key`` (the same object if it has no such key)."""
    i = (h >> shift) & 31
    e = node[i]
    if e is None:
        return node
    n = len(e)
    if n == _NODE:
        new = _delete(e, shift + 5, h, key)
        if new is e:
            return node
        entries = [x for x in new if x is not None]
        if len(entries) == 1 and len(entries[0]) != _NODE:
            new = entries[0]  # one key left below: it moves up
    elif n == _LEAF:
        if not (e[1] is key or e[1] == key):
            return node
        new = None
    else:
        leaves = frozenset(x for x in e[1] if x[1] != key)
        if len(leaves) == len(e[1]):
            return node
        new = next(iter(leaves)) if len(leaves) == 1 else (e[0], leaves)
    copy = list(node)
    copy[i] = new
    return tuple(copy)


def _leaves(node: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    for e in node:
        if e is None:
            continue
        n = len(e)
        if n == _NODE:
            yield from _leaves(e)
        elif n == _LEAF:
            yield e
        else:
            yield from e[1]


class PMap(Generic[K, V]):
    """An immutable mapping: ``m.set(k, v)`` and ``m.delete(k)`` return new maps."""

    __slots__ = ("_hash", "_len", "_root")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = ()) -> None:
        self._root: tuple[Any, ...] = _EMPTY
        self._len = 0
        self._hash = -1
        pairs = items.items() if isinstance(items, Mapping) else items
        m: PMap[K, V] = self
        for k, v in pairs:
            m = m.set(k, v)
        self._root, self._len = m._root, m._len

    def get(self, key: K, default: Any = None) -> Any:
        h = hash(key) & _M64
        node = self._root
        while True:
            e = node[h & 31]
            if e is None:
                return default
            n = len(e)
            if n == _NODE:
                node = e
                h >>= 5
            elif n == _LEAF:
                return e[2] if (e[1] is key or e[1] == key) else default
            else:
                for leaf in e[1]:
                    if leaf[1] == key:
                        return leaf[2]
                return default

    def __getitem__(self, key: K) -> V:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return self.get(key, _MISSING) is not _MISSING  # type: ignore[arg-type]

    def set(self, key: K, value: V) -> PMap[K, V]:
        h = hash(key) & _M64
        leaf = (h, key, value)
        path: list[tuple[tuple[Any, ...], int]] = []
        node, shift, added = self._root, 0, 1
        while True:
            i = (h >> shift) & 31
            path.append((node, i))
            e = node[i]
            if e is None:
                new: Any = leaf
                break
            n = len(e)
            if n == _NODE:
                node = e
                shift += 5
                continue
            if n == _LEAF:
                if e[1] is key or e[1] == key:
                    if e[2] is value:
                        return self
                    new, added = leaf, 0
                else:
                    new = _join(e, leaf, shift + 5)
            elif e[0] != h:
                new = _join(e, leaf, shift + 5)
            else:
                others = frozenset(x for x in e[1] if x[1] != key)
                new = (h, others | {leaf})
                added = len(new[1]) - len(e[1])
            break
        for node, i in reversed(path):
            copy = list(node)
            copy[i] = new
            new = tuple(copy)
        m: PMap[K, V] = PMap.__new__(PMap)
        m._root, m._len, m._hash = new, self._len + added, -1
        return m

    def delete(self, key: K) -> PMap[K, V]:
        """The map without ``key`` (itself if it has no such key)."""
        root = _delete(self._root, 0, _hash(key), key)
        if root is self._root:
            return self
        m: PMap[K, V] = PMap.__new__(PMap)
        m._root, m._len, m._hash = root, self._len - 1, -1
        return m

    def __len__(self) -> int:
        return self._len

    def __bool__(self) -> bool:
        return self._len > 0

    def __iter__(self) -> Iterator[K]:
        return (leaf[1] for leaf in _leaves(self._root))

    def keys(self) -> Iterator[K]:
        return iter(self)

    def values(self) -> Iterator[V]:
        return (leaf[2] for leaf in _leaves(self._root))

    def items(self) -> Iterator[tuple[K, V]]:
        return ((leaf[1], leaf[2]) for leaf in _leaves(self._root))

    def __eq__(self, other: object) -> bool:
        if type(other) is not PMap:
            return NotImplemented
        return self._len == other._len and self._root == other._root

    def __hash__(self) -> int:
        if self._hash == -1:
            self._hash = hash(self._root)
        return self._hash

    def __repr__(self) -> str:
        try:
            items = sorted(self.items())
        except TypeError:
            items = list(self.items())
        return f"PMap({dict(items)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (PMap, (list(self.items()),))


_MISSING: Any = object()

EMPTY_MAP: PMap[Any, Any] = PMap()
"""The empty map (every ``PMap`` update shares what it can, so one empty map is enough)."""
