"""``PMap``, the immutable map the log roles keep their per-slot states in, against a dict."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from paxosbook.core.log.pmap import EMPTY_MAP, PMap


class Clash:
    """A key whose hash is chosen: equal hashes force the trie's buckets."""

    def __init__(self, k: int, h: int) -> None:
        self.k, self.h = k, h

    def __hash__(self) -> int:
        return self.h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Clash) and other.k == self.k

    def __lt__(self, other: Clash) -> bool:
        return self.k < other.k


keys = st.one_of(st.integers(-5, 3000), st.builds(Clash, st.integers(0, 6), st.integers(0, 2)),
                 st.text(max_size=3))
ops = st.lists(st.tuples(st.booleans(), keys, st.integers(0, 3)), max_size=60)


@given(ops)
def test_a_pmap_behaves_as_a_dict_and_its_shape_is_its_items(steps):
    m, d = EMPTY_MAP, {}
    for put, k, v in steps:
        if put:
            m, d[k] = m.set(k, v), v
        else:
            m = m.delete(k)
            d.pop(k, None)
        assert len(m) == len(d) and dict(m.items()) == d
        assert all(m[k] == v and k in m for k, v in d.items())
    fresh = PMap(list(reversed(list(d.items()))))  # the same items, inserted in another order
    assert fresh == m and hash(fresh) == hash(m)


def test_an_update_leaves_the_old_map_as_it_was():
    a = PMap({1: "x"})
    b = a.set(1, "y").set(33, "z")
    assert dict(a.items()) == {1: "x"} and dict(b.items()) == {1: "y", 33: "z"}
    assert a.delete(7) is a and a != b and b.delete(33).delete(1) == EMPTY_MAP
