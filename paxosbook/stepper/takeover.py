"""Taking over a simulated run: the simulator's position at a time as a ``World``.

``takeover(run, time)`` replays ``run``'s config and seed in the simulator up to ``time`` (and
checks that it reproduces the run's events), then reads the nodes' states, storage and armed
timers, which nodes are down, and the messages in flight (those the network would still lose
included: the reader is the network now). Proposers not yet started can be started by hand;
crashes and partitions scheduled later are dropped, and a partition active at ``time`` is
lifted. The path of a stepper that took over starts with the head ``run SEED@TIME;``.
"""

from __future__ import annotations

from ..config import Config
from ..core import AcceptorState, ProposerRound, UsageError
from ..events import START, Record
from ..sim import Simulator
from ..trace import Run
from .world import World

HEAD = "a head 'run SEED@TIME;' before the tokens"


def takeover(run: Run, time: float) -> tuple[World, tuple[Record, ...], str]:
    """(the world at ``time``, the run's records up to it, the path's head)."""
    if not isinstance(run, Run) or not isinstance(run.config, Config):
        raise UsageError("run", "a Run of Basic Paxos from paxosbook.simulate",
                         type(run).__name__)
    end = run.records[-1][0] if run.records else 0.0
    if isinstance(time, bool) or not isinstance(time, (int, float)) or not 0 <= time <= end:
        raise UsageError("time", f"a time within the run, in [0, {end:g}]", time)
    n = sum(1 for r in run.records if r[0] <= time)
    sim = Simulator(run.config, run.seed)
    while len(sim.records) < n and sim.step() is not None:
        pass
    if sim.records != run.records[:n]:
        raise UsageError("run", "a run its config and seed reproduce (this one does not "
                         "replay in the simulator)", f"seed {run.seed}")
    return world_of(sim, float(time)), tuple(run.records[:n]), head_of(run.seed, time)


def world_of(sim: Simulator, time: float) -> World:
    """The simulator's nodes, storage, timers and messages in flight as a ``World``."""
    names = sim.cluster.nodes
    stored = tuple((sim.storage[n].get(AcceptorState), sim.storage[n].get(ProposerRound))
                   for n in names)
    started = frozenset(r[2] for r in sim.records if r[1] == START)
    ids = [r[5] for r in sim.records if r[5] >= 0]
    return World(tuple(None if n in sim.crashed else sim.states[n] for n in names),
                 tuple(frozenset(sim.timers[n]) for n in names), stored, started,
                 tuple(sim.in_flight()), max(ids, default=-1) + 1, time + 1.0)


def head_of(seed: int, time: float) -> str:
    """The path's head (the time exactly: ``repr`` of a float round-trips)."""
    return f"run {seed}@{float(time)!r};"


def parse_head(head: str) -> tuple[int, float]:
    """Inverse of ``head_of`` (without the ``;``); ``UsageError`` naming the path."""
    seed, _, time = head.strip().removeprefix("run ").partition("@")
    if not seed.isdigit():
        raise UsageError("path", HEAD, head)
    try:
        return int(seed), float(time)
    except ValueError:
        raise UsageError("path", HEAD, head) from None
