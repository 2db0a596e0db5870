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
    ProposerState,
    QuorumSystem,
    Send,
    SetTimer,
    Timer,
    UsageError,
)

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
    acc = Acceptor("a1", learners=("l1",), state=before)
    effects = acc.on_message(msg)
    persists = [e.state for e in effects if isinstance(e, Persist)]
    assert persists == ([persisted] if persisted else [])
    if persisted:  # the write precedes every reply that depends on it
        assert isinstance(effects[0], Persist)
    assert sends(effects)[0] == reply
    assert acc.state == (persisted or before)


def test_acceptor_tells_every_learner_and_the_proposer():
    acc = Acceptor("a1", learners=("l1", "l2"))
    out = sends(acc.on_message(Accept("p1", "a1", B1, "x")))
    assert [m.dst for m in out] == ["p1", "l1", "l2"]
    assert all(isinstance(m, Accepted) and m.value == "x" for m in out)


def test_acceptor_restore_keeps_persisted_state_unless_mutant_forgets():
    stored = AcceptorState(B2, Proposal(B1, "x"))
    assert Acceptor.restore("a1", (), stored).state == stored
    assert Acceptor.restore("a1", (), None).state == AcceptorState(NO_BALLOT, None)
    forgetful = Acceptor.restore("a1", (), stored, frozenset({Mutant.FORGET_PROMISE_ON_RESTART}))
    assert forgetful.state == AcceptorState(NO_BALLOT, None)


def test_accept_below_promise_mutant_accepts():
    acc = Acceptor("a1", (), AcceptorState(B2, None), frozenset({Mutant.ACCEPT_BELOW_PROMISE}))
    assert isinstance(sends(acc.on_message(Accept("p1", "a1", B1, "x")))[0], Accepted)


# -- proposer (phase 1a / 2a, P2c) ---------------------------------------------------------
def proposer(pid=1, value="mine", **kw):
    kw.setdefault("timeout", 4.0)
    return Proposer(f"p{pid}", pid, value, A, MAJ, **kw)


def test_start_persists_round_then_prepares_every_acceptor_with_a_timer():
    p = proposer()
    effects = p.on_start()
    assert effects[0] == Persist(ProposerState(1))
    assert sends(effects) == [Prepare("p1", a, Ballot(1, 1)) for a in A]
    assert effects[-1] == SetTimer(Timer.PHASE, 4.0)
    assert p.on_start() == []  # idempotent


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
    p = proposer()
    p.on_start()
    b = p.ballot
    assert p.on_message(Promise("a1", "p1", b, reported[0])) == []  # not yet a quorum
    effects = p.on_message(Promise("a2", "p1", b, reported[1]))
    assert sends(effects) == [Accept("p1", a, b, expected) for a in A]
    assert p.phase is Phase.ACCEPTING


def test_p2c_mutant_ignores_reported_value():
    p = proposer(mutants=frozenset({Mutant.IGNORE_PROMISED_VALUE}))
    p.on_start()
    b = p.ballot
    p.on_message(Promise("a1", "p1", b, Proposal(Ballot(1, 2), "x")))
    effects = p.on_message(Promise("a2", "p1", b, None))
    assert sends(effects)[0].value == "mine"


def test_stale_and_duplicate_promises_are_ignored():
    p = proposer()
    p.on_start()
    b = p.ballot
    assert p.on_message(Promise("a1", "p1", Ballot(0, 1), None)) == []
    assert p.on_message(Promise("a1", "p1", b, None)) == []
    assert p.on_message(Promise("a1", "p1", b, None)) == []  # same acceptor twice: no quorum
    assert p.phase is Phase.PREPARING


def test_quorum_of_accepted_means_chosen_and_cancels_timer():
    p = proposer()
    p.on_start()
    b = p.ballot
    p.on_message(Promise("a1", "p1", b, None))
    p.on_message(Promise("a2", "p1", b, None))
    assert p.on_message(Accepted("a1", "p1", b, "mine")) == []
    assert p.on_message(Accepted("a3", "p1", b, "mine")) == [CancelTimer(Timer.PHASE)]
    assert p.phase is Phase.CHOSEN


@pytest.mark.parametrize("backoff, expected", [
    (Backoff.NONE, "prepare"), (Backoff.FIXED, SetTimer(Timer.RETRY, 2.0)),
    (Backoff.EXPONENTIAL, SetTimer(Timer.RETRY, 0.0, 2.0)),
])
def test_nack_abandons_and_retries_above_the_promise(backoff, expected):
    p = proposer(backoff=backoff, backoff_base=2.0)
    p.on_start()
    effects = p.on_message(Nack("a1", "p1", p.ballot, Ballot(7, 2)))
    assert effects[0] == CancelTimer(Timer.PHASE)
    if expected == "prepare":
        assert sends(effects)[0].ballot == Ballot(8, 1)
    else:
        assert effects[1:] == [expected]
        assert p.phase is Phase.BACKING_OFF
        assert sends(p.on_timeout(Timer.RETRY))[0].ballot == Ballot(8, 1)


def test_exponential_backoff_doubles():
    p = proposer(backoff=Backoff.EXPONENTIAL, backoff_base=1.0)
    p.on_start()
    spreads = []
    for _ in range(4):
        eff = p.on_timeout(Timer.PHASE)
        spreads.append(eff[0].jitter)
        p.on_timeout(Timer.RETRY)
    assert spreads == [1.0, 2.0, 4.0, 8.0]


def test_timeout_retries_and_max_attempts_gives_up():
    p = proposer(max_attempts=2)
    p.on_start()
    assert sends(p.on_timeout(Timer.PHASE))[0].ballot == Ballot(2, 1)
    assert p.on_timeout(Timer.PHASE) == []
    assert p.phase is Phase.GAVE_UP


def test_restarted_proposer_never_reuses_a_round():
    p = Proposer("p1", 1, "v", A, MAJ, timeout=1.0, stored=ProposerState(5))
    assert sends(p.on_start())[0].ballot == Ballot(6, 1)


def test_reuse_ballot_mutant_gives_two_proposers_one_ballot():
    bad = frozenset({Mutant.REUSE_BALLOT})
    b1 = sends(proposer(1, mutants=bad).on_start())[0].ballot
    b2 = sends(proposer(2, mutants=bad).on_start())[0].ballot
    assert b1 == b2
    assert sends(proposer(1).on_start())[0].ballot != sends(proposer(2).on_start())[0].ballot


# -- learner -------------------------------------------------------------------------------
def test_learner_learns_on_quorum_of_one_proposal_once():
    lr = Learner("l1", MAJ)
    assert lr.on_message(Accepted("a1", "l1", B1, "x")) == []
    assert lr.on_message(Accepted("a1", "l1", B1, "x")) == []  # duplicate: still one vote
    assert lr.on_message(Accepted("a2", "l1", B2, "x")) == []  # other ballot: not counted
    assert lr.on_message(Accepted("a2", "l1", B1, "x")) == [Learn("x", B1)]
    assert lr.on_message(Accepted("a3", "l1", B1, "x")) == []


def test_learn_without_quorum_mutant():
    lr = Learner("l1", MAJ, frozenset({Mutant.LEARN_WITHOUT_QUORUM}))
    assert lr.on_message(Accepted("a1", "l1", B1, "x")) == [Learn("x", B1)]


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
