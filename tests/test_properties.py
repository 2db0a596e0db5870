"""Safety properties: each can fail, and none fails for the real protocol under any faults."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from paxosbook import Config, Crash, Partition, simulate
from paxosbook.check import PROPERTIES, History, check_history
from paxosbook.core import Ballot, QuorumSystem

A = ("a1", "a2", "a3")
B1, B2 = Ballot(1, 1), Ballot(2, 2)


def history(**kw) -> History:
    h = History(QuorumSystem.majority(A))
    h.proposed = kw.pop("proposed", {"x": 0, "y": 1})
    for key, value in kw.items():
        setattr(h, key, value)
    return h


GOOD = dict(votes=[(2, "a1", B1, "x"), (3, "a2", B1, "x"), (5, "a3", B2, "x")],
            learns=[(4, "l1", B1, "x"), (6, "l2", B1, "x")],
            accepts_sent=[(1, 10, B1, "x"), (1, 11, B1, "x")],
            states=[(2, "a1", B1, B1), (5, "a3", B2, B2)])

# Each row breaks exactly one property (named first) on top of the good history.
BROKEN = [
    ("agreement", dict(votes=GOOD["votes"] + [(7, "a1", B2, "y"), (8, "a2", B2, "y")])),
    ("agreement", dict(learns=[(4, "l1", B1, "x"), (9, "l2", B2, "y")],
                       votes=[*GOOD["votes"][:2], (7, "a2", B2, "y"), (8, "a3", B2, "y")])),
    ("validity", dict(proposed={"y": 0})),
    ("integrity", dict(learns=[(1, "l1", B1, "x")])),
    ("promise_covers_accept", dict(states=[(2, "a1", B1, B2)])),
    ("one_value_per_ballot", dict(accepts_sent=[(1, 10, B1, "x"), (1, 11, B1, "y")])),
    ("chosen_is_stable", dict(votes=GOOD["votes"] + [(7, "a3", B2, "y")])),
]


def test_good_history_satisfies_every_property():
    assert check_history(history(**GOOD)) == []


@pytest.mark.parametrize("name, change", BROKEN, ids=[f"{n}-{i}" for i, (n, _) in
                                                       enumerate(BROKEN)])
def test_each_property_can_fail(name, change):
    violations = check_history(history(**{**GOOD, **change}))
    assert name in {v.property for v in violations}
    assert all(v.events for v in violations)


def test_properties_are_declared_once_by_name():
    names = [p.name for p in PROPERTIES]
    assert len(names) == len(set(names)) == 6
    assert all(p.kind == "always" and p.description for p in PROPERTIES)


FIELDS = ("proposed", "votes", "accepts_sent", "states", "learns")
VARIANTS = [{**GOOD, **change} for _, change in [("good", {}), *BROKEN]] + [
    {key: [] for key in FIELDS[1:]}]


@pytest.mark.parametrize("prop", PROPERTIES, ids=[p.name for p in PROPERTIES])
def test_each_property_reads_only_the_fields_it_declares(prop) -> None:
    """A checker memoises a property on the ``History`` fields it declares it reads
    (``Property.reads``; the actors model judges acceptors' states apart from votes and
    learns). Putting any other field of any history above (the broken ones too) into any of
    them never changes its verdict; a declaration that left out a field it reads is caught
    by the history where that field breaks it."""
    assert prop.reads and prop.reads <= set(FIELDS)
    for base in VARIANTS:
        want = [v.message for v in prop.check(history(**base))]
        for name in set(FIELDS) - prop.reads:
            for other in VARIANTS:
                value = other.get(name, {"x": 0, "y": 1} if name == "proposed" else [])
                got = [v.message for v in prop.check(history(**{**base, name: value}))]
                assert got == want, (name, other)


# -- random search over faulty configurations --------------------------------------------------
@st.composite
def faulty_configs(draw, mutants=()):
    acceptors = draw(st.integers(3, 7))
    proposers = draw(st.integers(1, 4))
    accs = [f"a{i}" for i in range(1, acceptors + 1)]
    props = [f"p{i}" for i in range(1, proposers + 1)]
    nodes = props + accs + ["l1", "l2"]
    crashes = []
    for node in draw(st.lists(st.sampled_from(nodes), max_size=3, unique=True)):
        at = 0.0
        for _ in range(draw(st.integers(1, 2))):  # a node's crash windows never overlap
            at = draw(st.floats(at, at + 20))
            recover = draw(st.one_of(st.none(), st.floats(at + 0.1, at + 20)))
            crashes.append(Crash(node, at, recover))
            if recover is None:
                break
            at = recover + 0.1
    partitions = []
    if draw(st.booleans()):
        side = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=len(nodes) - 1,
                             unique=True))
        other = [n for n in nodes if n not in side]
        start = draw(st.floats(0, 15))
        partitions.append(Partition((tuple(side), tuple(other)), start,
                                    draw(st.one_of(st.none(), st.floats(start + 0.1, 40)))))
    return Config(
        acceptors=acceptors, proposers=proposers,
        drop=draw(st.floats(0, 0.5)), duplicate=draw(st.floats(0, 0.3)),
        delay=draw(st.sampled_from(["constant", "uniform", "exponential"])),
        backoff=draw(st.sampled_from(["none", "fixed", "exponential"])),
        start_offset=draw(st.sampled_from([0.0, 0.5, 1.0])),
        crashes=tuple(crashes), partitions=tuple(partitions),
        max_time=200.0, max_messages=3000, mutants=mutants), draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faulty_configs())
def test_no_safety_property_is_ever_violated(case):
    config, seed = case
    run = simulate(config, seed=seed)
    assert run.violations == [], run.to_json()


def test_the_same_search_finds_the_planted_bug():
    config, seed = find(faulty_configs(mutants=("ignore-promised-value",)),
                        lambda case: bool(simulate(case[0], seed=case[1]).violations),
                        settings=settings(max_examples=2000, deadline=None, database=None))
    run = simulate(config, seed=seed)
    assert {"agreement", "chosen_is_stable"} & {v.property for v in run.violations}
    assert config.proposers >= 2


def test_non_intersecting_quorums_run_only_when_asked_and_are_flagged():
    with pytest.raises(ValueError, match="intersecting"):
        Config(acceptors=4, q1=2, q2=2)
    run = simulate(Config(acceptors=4, q1=2, q2=2, unsafe=True), seed=0)
    assert run.summary().unsafe
    assert not simulate(Config(acceptors=4, q1=3, q2=2), seed=0).summary().unsafe
