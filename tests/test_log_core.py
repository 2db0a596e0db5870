"""Table-driven tests of the log roles in the core: per-slot Paxos and Multi-Paxos.

Every role here is a core Basic Paxos role per slot; these tests pin what the log adds: the
envelopes, the acceptor standing for unseen slots, the prepare for all slots (paper, section
3), recovery of accepted-but-unlearned slots, in-order application, catch-up.
"""

from __future__ import annotations

import pytest

from paxosbook.core import (
    Accept,
    Accepted,
    AcceptorState,
    Ballot,
    Nack,
    Persist,
    Prepare,
    Promise,
    Proposal,
    ProposerRound,
    QuorumSystem,
    Send,
    SetTimer,
    Timer,
)
from paxosbook.core.log import (
    NOOP,
    REST,
    Ack,
    CatchUp,
    LearnSlot,
    LogAcceptor,
    LogEntry,
    LogLearner,
    LogProposer,
    LogTimer,
    MultiPrepare,
    MultiPromise,
    MultiProposer,
    Role,
    SlotState,
    Slotted,
    SlotTimer,
    Submit,
    in_slot,
    promise_all,
)

R = ("r1", "r2", "r3")
MAJ = QuorumSystem.majority(R)
B1, B2, B3 = Ballot(1, 1), Ballot(1, 2), Ballot(2, 1)


def sends(effects):
    return [e.msg for e in effects if isinstance(e, Send)]


def persisted(effects):
    return [e.state for e in effects if isinstance(e, Persist)]


def slotted(slot, msg):
    return Slotted(msg.src, msg.dst, slot, msg)


def accepted(src, slot, ballot, value, dst="r1"):
    return slotted(slot, Accepted(src, dst, ballot, value))


# -- envelopes --------------------------------------------------------------------------------
def test_in_slot_tags_every_effect_with_the_slot():
    effects = [Send(Prepare("p", "a", B1)), SetTimer(Timer.PHASE, 4.0),
               Persist(ProposerRound(1))]
    out = in_slot(7, effects)
    assert out[0].msg == Slotted("p", "a", 7, Prepare("p", "a", B1))
    assert out[1].timer == SlotTimer(Timer.PHASE, 7) and out[1].timer.value == "phase@7"
    assert out[2].state == SlotState(7, ProposerRound(1))
    assert out[2].state.key == (7, ProposerRound)


# -- acceptor ---------------------------------------------------------------------------------
def test_a_slot_acceptor_is_a_core_acceptor_per_slot():
    acc = LogAcceptor("r1", R)
    s, out = acc.on_slotted(acc.init(), slotted(3, Prepare("A", "r1", B2)))
    assert sends(out) == [slotted(3, Promise("r1", "A", B2, None))]
    assert persisted(out) == [SlotState(3, AcceptorState(B2, None))]
    # another slot knows nothing of that promise: B1 < B2 is fine there
    s, out = acc.on_slotted(s, slotted(4, Accept("A", "r1", B1, "add")))
    assert [m.msg for m in sends(out)] == [Accepted("r1", d, B1, "add")
                                           for d in ("A", *R)]  # the asker, every replica
    # slot 3 refuses B1 below its promise (P1a), with a Nack in its envelope
    s, out = acc.on_slotted(s, slotted(3, Accept("A", "r1", B1, "add")))
    assert sends(out) == [slotted(3, Nack("r1", "A", B1, B2))]


# (slot states before, MultiPrepare ballot and first, expected reply, persisted slots)
PROMISE_ALL = [
    ("nothing seen: one promise for every slot, persisted as REST",
     {}, B1, 0, MultiPromise("r1", "A", B1, 0, ()), [REST]),
    ("reports the accepted proposal of every slot from first on",
     {0: AcceptorState(B1, Proposal(B1, "add")), 2: AcceptorState(B1, Proposal(B1, "jmp"))},
     B2, 1, MultiPromise("r1", "A", B2, 1, ((2, Proposal(B1, "jmp")),)), [REST, 2]),
    ("a slot promised higher refuses the whole prepare",
     {5: AcceptorState(B3, None)}, B2, 0, Nack("r1", "A", B2, B3), [REST]),
]


@pytest.mark.parametrize("name, slots, ballot, first, reply, stored", PROMISE_ALL,
                         ids=[p[0] for p in PROMISE_ALL])
def test_prepare_for_all_slots(name, slots, ballot, first, reply, stored):
    acc = LogAcceptor("r1", R)
    state = acc.init({(s, AcceptorState): st for s, st in slots.items()})
    _, out = promise_all(acc, state, MultiPrepare("A", "r1", ballot, first))
    assert sends(out) == [reply]
    assert [s.slot for s in persisted(out)] == stored
    assert out[-1] == Send(reply)  # every Persist precedes the reply


def test_a_slot_seen_after_a_prepare_for_all_starts_from_that_promise():
    acc = LogAcceptor("r1", R)
    s, _ = promise_all(acc, acc.init(), MultiPrepare("B", "r1", B2, 0))
    s, out = acc.on_slotted(s, slotted(9, Accept("A", "r1", B1, "add")))
    assert sends(out) == [slotted(9, Nack("r1", "A", B1, B2))]
    s, again = promise_all(acc, s, MultiPrepare("B", "r1", B2, 0))  # a duplicate: no new write
    assert sends(again) == [MultiPromise("r1", "B", B2, 0, ())] and not persisted(again)


def test_acceptor_restarts_from_its_slot_states():
    stored = {(REST, AcceptorState): AcceptorState(B2, None),
              (4, AcceptorState): AcceptorState(B2, Proposal(B2, "cmp")),
              (4, ProposerRound): ProposerRound(3)}
    acc = LogAcceptor("r1", R)
    s = acc.init(stored)
    assert s.rest.promised == B2 and set(s.slots) == {4}
    same, out = acc.on_catch_up(s, CatchUp("r3", "r1", 2))
    assert sends(out) == [slotted(4, Accepted("r1", "r3", B2, "cmp"))] and same is s
    assert sends(acc.on_catch_up(s, CatchUp("r3", "r1", 5))[1]) == []


# -- learner ----------------------------------------------------------------------------------
def test_learner_learns_on_a_quorum_at_one_ballot_and_applies_in_order():
    log = LogLearner("r1", MAJ, frozenset(("add", "jmp")))
    s, out = log.on_accepted(log.init(), accepted("r2", 1, B1, "jmp"))
    assert out == []
    s, out = log.on_accepted(s, accepted("r3", 1, B1, "jmp"))
    assert [e for e in out if isinstance(e, LearnSlot)] == [LearnSlot(1, "jmp", B1, False)]
    assert persisted(out) == [SlotState(1, LogEntry("jmp", B1))]
    assert log.log(s) == []  # slot 0 unknown: never past a gap
    s, _ = log.on_accepted(s, accepted("r2", 0, B1, "add"))
    s, out = log.on_accepted(s, accepted("r3", 0, B2, "add"))
    assert out == []  # split ballots: no quorum
    s, out = log.on_accepted(s, accepted("r1", 0, B1, "add"))
    assert [e for e in out if isinstance(e, LearnSlot)] == [LearnSlot(0, "add", B1, True)]
    assert log.log(s) == ["add", "jmp"] and log.complete(s)


def test_learner_restores_its_log():
    log = LogLearner("r1", MAJ, frozenset(("add",)))
    s = log.init({(0, LogEntry): LogEntry("add", B1)})
    assert log.log(s) == ["add"] and log.complete(s)


def test_catch_up_asks_the_acceptors_then_proposes_to_find_out():
    log = LogLearner("r1", MAJ, frozenset(("add", "jmp")), acceptors=R, catch_up=8.0, pid=9,
                     timeout=4.0)
    s, _ = log.on_accepted(log.init(), accepted("r2", 0, B1, "add"))  # heard of slot 0 only
    s, out = log.touch(s)
    assert out == [SetTimer(LogTimer.CATCH_UP, 8.0)]
    waits, asked, proposed = [], [], []
    for _ in range(4):
        s, out = log.on_timeout(s, LogTimer.CATCH_UP)
        msgs = sends(out)
        asked.append(sorted(m.dst for m in msgs if isinstance(m, CatchUp)))
        proposed.append([m.msg for m in msgs if isinstance(m, Slotted)])
        waits.append([e.delay for e in out if isinstance(e, SetTimer)
                      and e.timer is LogTimer.CATCH_UP])
    assert asked == [list(R)] * 4
    assert waits == [[16.0], [32.0], [64.0], [128.0]]  # doubling
    assert proposed[:2] == [[], []]
    assert proposed[2] == [Prepare("r1", a, Ballot(1, 9)) for a in R]  # a no-op's phase 1
    assert s.probe is not None and s.probe_slot == 0 and log.prober.value == NOOP


def test_catch_up_never_proposes_in_a_slot_nobody_spoke_of():
    log = LogLearner("r1", MAJ, frozenset(("add",)), acceptors=R, catch_up=8.0, pid=9,
                     timeout=4.0)
    s, _ = log.touch(log.init())
    for _ in range(5):
        s, out = log.on_timeout(s, LogTimer.CATCH_UP)
        assert not [m for m in sends(out) if isinstance(m, Slotted)]


# -- per-slot proposer ------------------------------------------------------------------------
def test_log_proposer_moves_on_when_promises_show_its_slot_taken():
    p = LogProposer("A", 1, ("add",), R, MAJ, timeout=4.0)
    s, out = p.on_start(p.init())
    assert sends(out)[0] == slotted(0, Prepare("A", "r1", B1))
    taken = Proposal(Ballot(1, 4), "sub")  # two acceptors accepted sub at 1.4: chosen
    s, _ = p.on_slotted(s, slotted(0, Promise("r1", "A", B1, taken)))
    s, out = p.on_slotted(s, slotted(0, Promise("r2", "A", B1, taken)))
    assert dict(s.chosen.items()) == {0: "sub"} and s.slot == 1 and p.todo(s) == ["add"]
    assert slotted(1, Prepare("A", "r1", B1)) in sends(out)  # same command, next slot


def test_log_proposer_takes_the_next_command_once_its_own_is_chosen():
    p = LogProposer("A", 1, ("add", "mov"), R, MAJ, timeout=4.0)
    s, _ = p.on_start(p.init())
    for a in R[:2]:
        s, _ = p.on_slotted(s, slotted(0, Promise(a, "A", B1, None)))
    out = []
    for a in R[:2]:
        s, out = p.on_slotted(s, slotted(0, Accepted(a, "A", B1, "add")))
    assert dict(s.chosen.items()) == {0: "add"} and p.todo(s) == ["mov"] and s.slot == 1
    assert slotted(1, Prepare("A", "r1", B1)) in sends(out)


# -- Multi-Paxos leader -----------------------------------------------------------------------
def leader(commands=("add",), **kw):
    p = MultiProposer("A", 1, commands, ("A", "B"), R, MAJ, timeout=4.0, **kw)
    s, out = p.on_start(p.init())
    return p, s, out


def test_leader_runs_phase_1_once_for_every_slot():
    p, s, out = leader(("add", "mov"))
    assert sends(out) == [MultiPrepare("A", a, B1, 0) for a in R]
    assert persisted(out) == [ProposerRound(1)]
    s, _ = p.on_multi_promise(s, MultiPromise("r1", "A", B1, 0, ()))
    s, out = p.on_multi_promise(s, MultiPromise("r2", "A", B1, 0, ()))
    assert s.role is Role.LEADING
    assert sends(out) == [slotted(0, Accept("A", a, B1, "add")) for a in R]
    for a in R[:2]:  # phase 2 only: the next command needs no new prepare
        s, out = p.on_slotted(s, slotted(0, Accepted(a, "A", B1, "add")))
    assert sends(out) == [slotted(1, Accept("A", a, B1, "mov")) for a in R]


def test_new_leader_recovers_accepted_slots_and_fills_gaps_with_no_ops():
    p, s, _ = leader(("sub",))
    reports = {"r1": ((0, Proposal(Ballot(1, 2), "jmp")), (2, Proposal(Ballot(1, 2), "cmp"))),
               "r2": ((2, Proposal(Ballot(2, 2), "add")),)}
    s, _ = p.on_multi_promise(s, MultiPromise("r1", "A", B1, 0, reports["r1"]))
    s, out = p.on_multi_promise(s, MultiPromise("r2", "A", B1, 0, reports["r2"]))
    accepts = {m.slot: m.msg.value for m in sends(out) if m.dst == "r1"}
    # P2c per slot: slot 2 takes the highest-numbered report; slot 1, a gap, gets a no-op;
    # the leader's own command waits for a slot after them
    assert accepts == {0: "jmp", 1: NOOP, 2: "add"}
    assert s.queue == (("sub", "A"),) and s.next == 3


def test_leader_steps_down_for_a_higher_ballot_and_forwards_its_queue():
    p, s, _ = leader(("add",))
    s, _ = p.on_submit(s, Submit("B", "A", "jmp", "B"))
    s, out = p.on_nack(s, Nack("r1", "A", B1, Ballot(1, 2)))  # B holds 1.2
    assert s.role is Role.FOLLOWER and s.leader == "B"
    assert sends(out) == [Submit("A", "B", "jmp", "B"), Submit("A", "B", "add", "A")]


def test_leader_never_logs_a_command_twice():
    p, s, _ = leader(())
    for a in R[:2]:
        s, _ = p.on_multi_promise(s, MultiPromise(a, "A", B1, 0, ((0, Proposal(B1, "jmp")),)))
    for a in R[:2]:
        s, _ = p.on_slotted(s, slotted(0, Accepted(a, "A", B1, "jmp")))
    assert dict(s.log.items()) == {0: "jmp"}
    s, out = p.on_submit(s, Submit("B", "A", "jmp", "B"))  # B did not hear: jmp is in
    assert sends(out) == [Ack("A", "B", "jmp", 0)]


def test_follower_takes_over_when_its_command_is_not_acknowledged():
    p = MultiProposer("B", 2, ("jmp",), ("A", "B"), R, MAJ, timeout=4.0)
    s, out = p.on_start(p.init())
    assert sends(out) == [Submit("B", "A", "jmp", "B")]
    s, out = p.on_timeout(s, LogTimer.ACK)
    assert s.role is Role.PREPARING and s.leader == "B"
    assert sends(out) == [MultiPrepare("B", a, Ballot(1, 2), 0) for a in R]


def test_a_command_submitted_before_the_leader_starts_is_kept():
    p = MultiProposer("A", 1, ("add",), ("A", "B"), R, MAJ, timeout=4.0)
    s, _ = p.on_submit(p.init(), Submit("B", "A", "jmp", "B"))  # A takes the lead for it
    s, _ = p.on_start(s)
    assert s.queue == (("jmp", "B"), ("add", "A")) and s.role is Role.PREPARING


# -- the shape: configuration apart from state ------------------------------------------------
@pytest.mark.parametrize("strategy", ["broadcast", "sequencer", "multi-primary", "paxos",
                                      "multi-paxos"])
def test_log_node_states_are_hashable_values_and_handlers_are_pure(strategy):
    """What the simulator (and any later interpreter) keeps of a log node is a plain value:
    hashable, equal to its copy, never changed by a handler that takes it."""
    import copy

    from paxosbook.config import Crash
    from paxosbook.replication import LogConfig
    from paxosbook.replication.run import system_for
    from paxosbook.sim import Simulator

    cfg = LogConfig(drop=0.1, duplicate=0.1, crashes=(Crash("r2", 3.0, 20.0),))
    sim = Simulator(cfg, 3, system=system_for(strategy, cfg))
    kept = []
    while sim.step() is not None:
        kept.extend((s, hash(s)) for s in sim.states.values())
    assert all(hash(s) == h for s, h in kept)  # no state changed after it was kept
    for name, state in sim.states.items():
        assert copy.deepcopy(state) == state and hash(copy.deepcopy(state)) == hash(state)
        node, before = sim.nodes[name], copy.deepcopy(state)
        for msg in [r[4] for r in sim.records if r[1] == "deliver" and r[3] == name][-5:]:
            assert node.on_message(state, msg) == node.on_message(state, msg)
        assert state == before
