"""Table-driven tests of every rule of the core, each traced to "Paxos Made Simple"."""

from __future__ import annotations

import pytest

from paxosbook.core import (
    NO_BALLOT,
    Accept,
    Accepted,
    Acceptor,
    AcceptorState,
    Backoff,
    Ballot,
    CancelTimer,
    Learn,
    Learner,
    Mutant,
    Nack,
    Persist,
    Phase,
    Prepare,
    Promise,
    Proposal,
    Proposer,
    ProposerRound,
    QuorumSystem,
    Send,
    SetTimer,
    Timer,
    UsageError,
)
from paxosbook.core.proposer import MAX_DOUBLINGS

A = ("a1", "a2", "a3")
B1, B2, B3 = Ballot(1, 1), Ballot(1, 2), Ballot(2, 1)
MAJ = QuorumSystem.majority(A)


def sends(effects):
    return [e.msg for e in effects if isinstance(e, Send)]


# -- ballots -------------------------------------------------------------------------------
@pytest.mark.parametrize("low, high", [
    (NO_BALLOT, Ballot(1, 1)), (Ballot(1, 1), Ballot(1, 2)), (Ballot(1, 9), Ballot(2, 1)),
])
def test_ballots_are_totally_ordered_round_first(low, high):
    assert low < high and high > low and low != high


def test_ballot_minimum_is_below_every_issued_ballot_and_parses():
    assert all(Ballot(r, p) > NO_BALLOT for r in range(1, 4) for p in range(1, 4))
    assert Ballot.parse(str(Ballot(12, 3))) == Ballot(12, 3)
    with pytest.raises(ValueError):
        Ballot.parse("x.1")


# -- acceptor (P1a, phase 1b / 2b) ---------------------------------------------------------
ACCEPTOR_TABLE = [
    # state before, message, expected persisted state (None: no persist), expected reply
    ("promise a fresh ballot", AcceptorState(NO_BALLOT, None), Prepare("p1", "a1", B1),
     AcceptorState(B1, None), Promise("a1", "p1", B1, None)),
    ("promise reports the highest accepted proposal", AcceptorState(B1, Proposal(B1, "x")),
     Prepare("p2", "a1", B2), AcceptorState(B2, Proposal(B1, "x")),
     Promise("a1", "p2", B2, Proposal(B1, "x"))),
    ("repeat of the current promise is answered again without persisting",
     AcceptorState(B1, None), Prepare("p1", "a1", B1), None, Promise("a1", "p1", B1, None)),
    ("lower prepare is rejected with the promise", AcceptorState(B2, None),
     Prepare("p1", "a1", B1), None, Nack("a1", "p1", B1, B2)),
    ("accept at the promised ballot", AcceptorState(B1, None), Accept("p1", "a1", B1, "x"),
     AcceptorState(B1, Proposal(B1, "x")), Accepted("a1", "p1", B1, "x")),
    ("accept above the promise also raises the promise", AcceptorState(B1, None),
     Accept("p2", "a1", B2, "y"), AcceptorState(B2, Proposal(B2, "y")),
     Accepted("a1", "p2", B2, "y")),
    ("accept below the promise is rejected (P1a)", AcceptorState(B2, None),
     Accept("p1", "a1", B1, "x"), None, Nack("a1", "p1", B1, B2)),
    ("duplicate accept is acknowledged again without persisting",
     AcceptorState(B1, Proposal(B1, "x")), Accept("p1", "a1", B1, "x"), None,
     Accepted("a1", "p1", B1, "x")),
]


@pytest.mark.parametrize("name, before, msg, persisted, reply", ACCEPTOR_TABLE,
                         ids=[row[0] for row in ACCEPTOR_TABLE])
def test_acceptor_rules(name, before, msg, persisted, reply):
    acc = Acceptor("a1", learners=("l1",))
    after, effects = acc.on_message(before, msg)
    persists = [e.state for e in effects if isinstance(e, Persist)]
    assert persists == ([persisted] if persisted else [])
    if persisted:  # the write precedes every reply that depends on it
        assert isinstance(effects[0], Persist)
    assert sends(effects)[0] == reply
    assert after == (persisted or before)


def test_acceptor_tells_every_learner_and_the_proposer():
    acc = Acceptor("a1", learners=("l1", "l2"))
    out = sends(acc.on_message(acc.init(), Accept("p1", "a1", B1, "x"))[1])
    assert [m.dst for m in out] == ["p1", "l1", "l2"]
    assert all(isinstance(m, Accepted) and m.value == "x" for m in out)


def test_acceptor_restore_keeps_persisted_state_unless_mutant_forgets():
    stored = AcceptorState(B2, Proposal(B1, "x"))
    assert Acceptor("a1").init(stored) == stored
    assert Acceptor("a1").init(None) == AcceptorState(NO_BALLOT, None)
    forgetful = Acceptor("a1", (), frozenset({Mutant.FORGET_PROMISE_ON_RESTART}))
    assert forgetful.init(stored) == AcceptorState(NO_BALLOT, None)


def test_accept_below_promise_mutant_accepts():
    acc = Acceptor("a1", (), frozenset({Mutant.ACCEPT_BELOW_PROMISE}))
    _, effects = acc.on_message(AcceptorState(B2, None), Accept("p1", "a1", B1, "x"))
    assert isinstance(sends(effects)[0], Accepted)


def test_handlers_are_pure_functions_of_config_and_state():
    """The same (config, state, input) always gives the same (state, effects), and the input
    state is a value that no handler changes (the checker and the simulator share states)."""
    p = proposer()
    start = p.init()
    s1, e1 = p.on_start(start)
    s2, e2 = p.on_start(start)
    assert (s1, e1) == (s2, e2) and start == p.init() and hash(s1) == hash(s2)
    acc = Acceptor("a1", ("l1",))
    before = acc.init()
    assert acc.on_message(before, Prepare("p1", "a1", B1)) == \
        acc.on_message(before, Prepare("p1", "a1", B1))
    assert before == AcceptorState(NO_BALLOT, None)


def test_effects_compare_with_their_type():
    state = AcceptorState(B1, None)
    assert Send(state) != Persist(state)  # type: ignore[arg-type]
    assert Persist(state) == Persist(state)
    assert len({Send(state), Persist(state)}) == 2  # type: ignore[arg-type]


# -- proposer (phase 1a / 2a, P2c) ---------------------------------------------------------
def proposer(pid=1, value="mine", **kw):
    kw.setdefault("timeout", 4.0)
    return Proposer(f"p{pid}", pid, value, A, MAJ, **kw)


class Driven:
    """A proposer config and its current state, stepped through a test's inputs."""

    def __init__(self, config, state=None):
        self.config = config
        self.state = config.init() if state is None else state

    def __getattr__(self, name):
        return getattr(self.state, name)

    def start(self):
        self.state, effects = self.config.on_start(self.state)
        return effects

    def deliver(self, msg):
        self.state, effects = self.config.on_message(self.state, msg)
        return effects

    def timeout(self, timer):
        self.state, effects = self.config.on_timeout(self.state, timer)
        return effects


def test_start_persists_round_then_prepares_every_acceptor_with_a_timer():
    p = Driven(proposer())
    effects = p.start()
    assert effects[0] == Persist(ProposerRound(1))
    assert sends(effects) == [Prepare("p1", a, Ballot(1, 1)) for a in A]
    assert effects[-1] == SetTimer(Timer.PHASE, 4.0)
    assert p.start() == []  # idempotent


P2C_TABLE = [
    ("no acceptor accepted anything: own value", [None, None], "mine"),
    ("one reported proposal: its value", [Proposal(Ballot(1, 2), "x"), None], "x"),
    ("highest-numbered reported proposal wins", [Proposal(Ballot(1, 2), "x"),
                                                 Proposal(Ballot(2, 3), "y")], "y"),
    ("round dominates proposer id", [Proposal(Ballot(1, 9), "x"),
                                     Proposal(Ballot(2, 1), "y")], "y"),
]


@pytest.mark.parametrize("name, reported, expected", P2C_TABLE, ids=[r[0] for r in P2C_TABLE])
def test_p2c_value_choice(name, reported, expected):
    p = Driven(proposer())
    p.start()
    b = p.ballot
    assert p.deliver(Promise("a1", "p1", b, reported[0])) == []  # not yet a quorum
    effects = p.deliver(Promise("a2", "p1", b, reported[1]))
    assert sends(effects) == [Accept("p1", a, b, expected) for a in A]
    assert p.phase is Phase.ACCEPTING


def test_p2c_mutant_ignores_reported_value():
    p = Driven(proposer(mutants=frozenset({Mutant.IGNORE_PROMISED_VALUE})))
    p.start()
    b = p.ballot
    p.deliver(Promise("a1", "p1", b, Proposal(Ballot(1, 2), "x")))
    effects = p.deliver(Promise("a2", "p1", b, None))
    assert sends(effects)[0].value == "mine"


def test_stale_and_duplicate_promises_are_ignored():
    p = Driven(proposer())
    p.start()
    b = p.ballot
    assert p.deliver(Promise("a1", "p1", Ballot(0, 1), None)) == []
    assert p.deliver(Promise("a1", "p1", b, None)) == []
    assert p.deliver(Promise("a1", "p1", b, None)) == []  # same acceptor twice: no quorum
    assert p.phase is Phase.PREPARING
    assert p.promises == (("a1", None),)


def test_quorum_of_accepted_means_chosen_and_cancels_timer():
    p = Driven(proposer())
    p.start()
    b = p.ballot
    p.deliver(Promise("a1", "p1", b, None))
    p.deliver(Promise("a2", "p1", b, None))
    assert p.deliver(Accepted("a1", "p1", b, "mine")) == []
    assert p.deliver(Accepted("a1", "p1", b, "mine")) == []  # a repeat is one acceptance
    assert p.deliver(Accepted("a3", "p1", b, "mine")) == [CancelTimer(Timer.PHASE)]
    assert p.phase is Phase.CHOSEN


def test_preparing_puts_a_fresh_state_in_phase_1_of_a_ballot():
    """What a Multi-Paxos leader does to each slot: the slot's proposer is in phase 1 of the
    leader's ballot without sending anything, and P2c runs on the promises it is fed."""
    cfg = proposer(value="mine")
    s = cfg.preparing(cfg.init(), Ballot(3, 1))
    assert (s.phase, s.ballot, s.round) == (Phase.PREPARING, Ballot(3, 1), 3)
    s, _ = cfg.on_promise(s, Promise("a1", "p1", Ballot(3, 1), Proposal(B2, "x")))
    _, effects = cfg.on_promise(s, Promise("a2", "p1", Ballot(3, 1), None))
    assert sends(effects)[0] == Accept("p1", "a1", Ballot(3, 1), "x")


@pytest.mark.parametrize("backoff, expected", [
    (Backoff.NONE, "prepare"), (Backoff.FIXED, SetTimer(Timer.RETRY, 2.0)),
    (Backoff.EXPONENTIAL, SetTimer(Timer.RETRY, 0.0, 2.0)),
    (Backoff.DISCRETE, SetTimer(Timer.RETRY, 0.0, 2.0, 1)),
])
def test_nack_abandons_and_retries_above_the_promise(backoff, expected):
    p = Driven(proposer(backoff=backoff, backoff_base=2.0))
    p.start()
    effects = p.deliver(Nack("a1", "p1", p.ballot, Ballot(7, 2)))
    assert effects[0] == CancelTimer(Timer.PHASE)
    if expected == "prepare":
        assert sends(effects)[0].ballot == Ballot(8, 1)
    else:
        assert effects[1:] == [expected]
        assert p.phase is Phase.BACKING_OFF
        assert sends(p.timeout(Timer.RETRY))[0].ballot == Ballot(8, 1)


def test_stale_nack_still_raises_the_round():
    p = Driven(proposer())
    p.start()
    assert p.deliver(Nack("a1", "p1", Ballot(0, 1), Ballot(7, 2))) == []
    assert p.round == 7 and p.phase is Phase.PREPARING


def test_exponential_backoff_doubles():
    p = Driven(proposer(backoff=Backoff.EXPONENTIAL, backoff_base=1.0))
    p.start()
    spreads = []
    for _ in range(4):
        eff = p.timeout(Timer.PHASE)
        spreads.append(eff[0].jitter)
        p.timeout(Timer.RETRY)
    assert spreads == [1.0, 2.0, 4.0, 8.0]


def test_discrete_backoff_window_doubles_and_stops_growing():
    """Slots of ``backoff_base``; the window starts at ``backoff_window`` and doubles after
    each failed ballot, up to ``MAX_DOUBLINGS`` doublings."""
    p = Driven(proposer(backoff=Backoff.DISCRETE, backoff_base=0.5, backoff_window=3))
    p.start()
    timers = []
    for _ in range(MAX_DOUBLINGS + 3):
        timers.append(p.timeout(Timer.PHASE)[0])
        p.timeout(Timer.RETRY)
    assert {(t.delay, t.jitter) for t in timers} == {(0.0, 0.5)}
    assert [t.slots for t in timers] == [3 * 2 ** min(i, MAX_DOUBLINGS)
                                         for i in range(MAX_DOUBLINGS + 3)]


def test_timeout_retries_and_max_attempts_gives_up():
    p = Driven(proposer(max_attempts=2))
    p.start()
    assert sends(p.timeout(Timer.PHASE))[0].ballot == Ballot(2, 1)
    assert p.timeout(Timer.PHASE) == []
    assert p.phase is Phase.GAVE_UP


def test_restarted_proposer_never_reuses_a_round():
    cfg = Proposer("p1", 1, "v", A, MAJ, timeout=1.0)
    _, effects = cfg.on_start(cfg.init(ProposerRound(5)))
    assert sends(effects)[0].ballot == Ballot(6, 1)


def test_proposer_ids_start_at_one():
    with pytest.raises(UsageError, match="pid"):
        Proposer("p0", 0, "v", A, MAJ, timeout=1.0)


def test_reuse_ballot_mutant_gives_two_proposers_one_ballot():
    bad = frozenset({Mutant.REUSE_BALLOT})

    def first_ballot(cfg):
        return sends(cfg.on_start(cfg.init())[1])[0].ballot

    assert first_ballot(proposer(1, mutants=bad)) == first_ballot(proposer(2, mutants=bad))
    assert first_ballot(proposer(1)) != first_ballot(proposer(2))


# -- learner -------------------------------------------------------------------------------
def learn(learner, msgs):
    state, out = learner.init(), []
    for msg in msgs:
        state, effects = learner.on_message(state, msg)
        out.append(effects)
    return state, out


def test_learner_learns_on_quorum_of_one_proposal_once():
    state, out = learn(Learner("l1", MAJ), [
        Accepted("a1", "l1", B1, "x"),
        Accepted("a1", "l1", B1, "x"),  # duplicate: still one vote
        Accepted("a2", "l1", B2, "x"),  # other ballot: not counted
        Accepted("a2", "l1", B1, "x"),
        Accepted("a3", "l1", B1, "x")])
    assert out == [[], [], [], [Learn("x", B1)], []]
    assert state.learned == Proposal(B1, "x")


def test_learn_without_quorum_mutant():
    _, out = learn(Learner("l1", MAJ, frozenset({Mutant.LEARN_WITHOUT_QUORUM})),
                   [Accepted("a1", "l1", B1, "x")])
    assert out == [[Learn("x", B1)]]


# -- quorums -------------------------------------------------------------------------------
@pytest.mark.parametrize("system, members, p1, p2", [
    (QuorumSystem.majority(A), {"a1", "a2"}, True, True),
    (QuorumSystem.majority(A), {"a1"}, False, False),
    (QuorumSystem.flexible(("a1", "a2", "a3", "a4"), 3, 2), {"a1", "a2"}, False, True),
    (QuorumSystem.from_sets(A, [{"a1", "a2"}, {"a2", "a3"}]), {"a1", "a3"}, False, False),
    (QuorumSystem.from_sets(A, [{"a1", "a2"}, {"a2", "a3"}]), {"a3", "a2", "a1"}, True, True),
])
def test_quorum_membership(system, members, p1, p2):
    assert system.is_phase1(members) is p1 and system.is_phase2(members) is p2


@pytest.mark.parametrize("system, intersects", [
    (QuorumSystem.majority(("a1", "a2", "a3", "a4")), True),
    (QuorumSystem.flexible(("a1", "a2", "a3", "a4"), 3, 2), True),
    (QuorumSystem.flexible(("a1", "a2", "a3", "a4"), 2, 2), False),
    (QuorumSystem.from_sets(A, [{"a1"}, {"a2", "a3"}]), False),
])
def test_quorum_intersection(system, intersects):
    assert system.intersects() is intersects
    if not intersects:
        with pytest.raises(UsageError, match="intersecting"):
            system.check_intersection(unsafe=False)
        system.check_intersection(unsafe=True)
