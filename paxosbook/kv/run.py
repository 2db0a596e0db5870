"""A KV run: start the nodes, drive the clients, play the nemesis, check what happened.

Theory of operation. ``run_kv`` starts one ``paxosbook.kv.node`` process per node through the
``paxosbook.net`` supervisor (one process group, killed whole on exit, interrupt or failure),
runs the clients (``kv.client``) in this process's asyncio loop for ``duration`` seconds and
plays the nemesis's moves on the same loop: the ``paxosbook.net`` plan's kills (``kill -9``
and restart of a minority) and partitions, plus ``kill-all``, a whole-cluster ``kill -9`` and
restart every ``OUTAGE_EVERY`` seconds (a power cut: only what is on disk survives), timed
right after a client was answered, so that operations are in flight. Then it
heals every partition, restarts every node, lets the replicas catch up for ``QUIESCE``
seconds, stops the nodes (each writes its final state) and checks:

* ``linearizable``: the clients' history, checked by ``paxosbook.linearizability`` (kv
  model: get, put, append, cas);
* ``lost_acknowledged_writes``: acknowledged writes missing from the final state of the most
  advanced replica (``client.lost_writes``);
* ``replicas_agree``: replicas that applied as many slots hold the same map;
* ``dishonoured_promises``: acceptances or promises a node announced, after a restart, below
  a promise it announced before (each node notes what it announces in ``NAME.vows``).
* ``slot_disagreements``: slots that two replicas (or two lives of one) learned with different
  values, Multi-Paxos's safety property slot by slot (each node notes a digest of every slot
  it learns in ``NAME.learned``).
* ``valid``: the nodes' Paxos events, merged (``kv.trace``), are a behaviour of Lamport's
  ``Paxos.tla``, one instance per slot (``check.validate``); ``rejected`` names the first
  event no spec step explains.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from ..check.refinement import Validation, validate
from ..config import Config
from ..core import UsageError
from ..linearizability import Linearizability, check, parse_history
from ..net.cluster import Supervisor, data_dir
from ..net.nemesis import KINDS as NET_KINDS
from ..net.nemesis import Plan, plan
from ..network import Crash, Partition
from ..validation import check_number
from .client import Clients, Op, lost_writes, run_clients
from .node import MUTANTS
from .trace import KVTrace, collect

KINDS = ("kill", "partition", "kill-all")
"""The nemesis's kinds for a KV run."""
OUTAGE_EVERY = 2.0
"""Seconds between two whole-cluster kills (``kill-all``); the first comes after 1.5 s."""
BUSY, BUSY_WAIT = 0.005, 1.0
"""A whole-cluster kill waits (at most ``BUSY_WAIT`` s) for an answer less than ``BUSY`` s old."""
QUIESCE = 1.5
"""Seconds the replicas get to catch up after the clients stopped and every node is back."""


class KVSupervisor(Supervisor):
    """The ``paxosbook.net`` supervisor, starting ``paxosbook.kv.node`` processes."""

    def __init__(self, nodes: int, data: Path, seed: int, mutant: str = "") -> None:
        config = Config(acceptors=nodes, proposers=1, learners=1, colocated=True)
        super().__init__(config, data, seed, Plan())
        self.mutant = mutant

    def node_argv(self, name: str, port: int) -> list[str]:
        argv = [sys.executable, "-m", "paxosbook.kv.node", "--name", name, "--names",
                ",".join(self.names), "--data", str(self.data), "--port", str(port),
                "--seed", str(self.seed), "--incarnation", str(self.incarnation[name]),
                "--control"]
        return argv + (["--mutant", self.mutant] if self.mutant else [])

    def outage(self) -> None:
        """``kill -9`` every node at once (every signal sent before any is waited for),
        then restart them all."""
        for proc in self.procs.values():
            proc.kill()
        for name in self.names:
            self.kill(name)
        for name in self.names:
            self.restart(name)


@dataclass
class KVRun:
    """What a KV run did and what the checks say."""

    ops: list[Op]
    history: list[str]
    duration: float
    kills: int
    restarts: int
    finals: list[dict[str, Any]]
    verdict: Linearizability
    lost: list[Op]
    stats: dict[str, int] = field(default_factory=dict)
    dishonoured: list[str] = field(default_factory=list)
    """Promises a restarted acceptor did not honour (``dishonoured_promises``)."""
    disagreements: list[str] = field(default_factory=list)
    """Slots learned with two values (``slot_disagreements``)."""
    crashes: list[Crash] = field(default_factory=list)
    """Each node's stretches down (killed at, restarted at; seconds since the nodes started)."""
    partitions: list[Partition] = field(default_factory=list)
    """The partitions as the nemesis applied them (the same clock)."""
    trace: KVTrace | None = None
    """The nodes' Paxos events, merged (``kv.trace``; ``views.kv.slot_figure`` draws a slot)."""
    validation: Validation | None = None
    """``trace`` validated against ``Paxos.tla``."""

    @property
    def replicas_agree(self) -> bool:
        by_applied: dict[int, Any] = {}
        return all(by_applied.setdefault(f["applied"], f["data"]) == f["data"]
                   for f in self.finals)

    def report(self) -> dict[str, Any]:
        """What ``paxosbook kv`` prints (``snapshots_installed``: by the nodes' last
        incarnations, the ones that wrote a final state)."""
        done = [op for op in self.ops if op.status != "info"]
        lat = sorted((op.end - op.start) * 1000 for op in done)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else 0.0

        return {"invoked": len(self.ops),
                "ok": sum(op.status == "ok" for op in self.ops),
                "failed": sum(op.status == "fail" for op in self.ops),
                "indeterminate": sum(op.status == "info" for op in self.ops),
                "ops_per_second": round(len(done) / self.duration, 1),
                "latency_p50_ms": pct(0.50), "latency_p99_ms": pct(0.99),
                "kills": self.kills, "restarts": self.restarts,
                "linearizable": self.verdict.linearizable,
                "lost_acknowledged_writes": len(self.lost),
                "replicas_agree": self.replicas_agree,
                "dishonoured_promises": len(self.dishonoured),
                "slot_disagreements": len(self.disagreements),
                "valid": None if self.validation is None else self.validation.ok,
                "validated_events": (0 if self.validation is None
                                     else self.validation.events_checked),
                "rejected": self.rejected,
                "snapshots_installed": self.stats.get("snapshots_installed", 0)}

    @property
    def rejected(self) -> str:
        """The first event of the trace no spec step explains, in one line ("" if valid)."""
        v = self.validation
        if v is None or v.failure is None:
            return ""
        f = v.failure
        at = "before the first event" if f.index is None else f"event {f.index}"
        slot = "" if f.slot < 0 else f" (slot {f.slot})"
        return f"{at}{slot}: {f.event}; false: {f.conjunct}"


def _integer(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(name, f"an integer in [{lo}, {hi}]", value)


def dishonoured_promises(data: Path, names: tuple[str, ...]) -> list[str]:
    """Every acceptance or promise a node announced below a promise it announced before one
    of its restarts (from the nodes' ``NAME.vows`` files): an acceptor that forgot."""
    out: list[str] = []
    for name in names:
        path = data / f"{name}.vows"
        lines = path.read_text("utf-8").splitlines() if path.exists() else []
        before: dict[int, tuple[int, int]] = {}  # incarnation -> highest promise
        for line in lines:
            try:
                inc, kind, ballot = json.loads(line)
            except (ValueError, TypeError):
                continue  # cut short by a kill -9
            floor = max((b for i, b in before.items() if i < inc), default=(0, 0))
            if tuple(ballot) < floor:
                out.append(f"{name} {kind} {ballot[0]}.{ballot[1]} in incarnation {inc}, "
                           f"below its promise {floor[0]}.{floor[1]} before a restart")
            if kind == "promise":
                before[inc] = max(before.get(inc, (0, 0)), tuple(ballot))
    return out


def slot_disagreements(data: Path, names: tuple[str, ...]) -> list[str]:
    """Every slot learned with two different values, by two nodes or two lives of one node
    (from the nodes' ``NAME.learned`` files: incarnation, slot, digest of the value)."""
    first: dict[int, tuple[str, str]] = {}  # slot -> (digest, who learned it)
    out: list[str] = []
    for name in names:
        path = data / f"{name}.learned"
        for line in path.read_text("utf-8").splitlines() if path.exists() else []:
            try:
                inc, slot, value = json.loads(line)
            except (ValueError, TypeError):
                continue  # cut short by a kill -9
            seen = first.setdefault(slot, (value, f"{name} (life {inc})"))
            if seen[0] != value:
                out.append(f"slot {slot}: {seen[1]} learned {seen[0]}, {name} (life {inc}) "
                           f"learned {value}")
    return out


def parse_kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(k for k in text.split(",") if k)
    for k in kinds:
        if k not in KINDS:
            raise UsageError("nemesis", "comma-separated kinds from " + ", ".join(KINDS), k)
    return kinds


def run_kv(*, nodes: int = 5, clients: int = 10, duration: float = 5.0, nemesis: str = "",
           keys: int = 5, seed: int = 0, data: str | os.PathLike[str] | None = None,
           mutant: str = "", history: str | os.PathLike[str] | None = None,
           outage_every: float = OUTAGE_EVERY,
           crashes: Iterable[tuple[str, float, float]] = ()) -> KVRun:
    """Run the replicated KV store for ``duration`` seconds under the nemesis (plus the given
    ``crashes``: ``(node, kill at, restart at)`` in seconds); ``history``: a file for the
    history's JSON lines; ``data``: a new or empty directory keeping the nodes' files (default:
    a temporary one, removed). ``UsageError`` for a bad argument, before any process starts."""
    _integer("nodes", nodes, 1, 9)
    _integer("clients", clients, 1, 100)
    check_number("duration", duration, 0.0, 3600.0, open_lo=True)
    _integer("keys", keys, 1, 1000)
    kinds = parse_kinds(nemesis)
    if mutant and mutant not in MUTANTS:
        raise UsageError("mutant", " or ".join(MUTANTS), mutant)
    root = data_dir(data, prefix="paxosbook-kv-")
    try:
        sup = KVSupervisor(nodes, root, seed, mutant)
        with sup:
            sup.launch()
            workload = Clients(clients, keys, seed, sup.addresses)
            _run(_drive(sup, workload, kinds, duration, seed, outage_every, tuple(crashes)))
            sup.stop()
            sup.close()
            finals = [json.loads(p.read_text("utf-8"))
                      for p in sorted(root.glob("*.final.json"))]
            dishonoured = dishonoured_promises(root, sup.names)
            disagreements = slot_disagreements(root, sup.names)
            trace = collect(root, sup.names)
            validation = validate(trace)
        lines = [json.dumps(e, separators=(",", ":")) for e in workload.events]
        if history is not None:
            Path(history).write_text("\n".join(lines) + "\n", "utf-8")
        run = _checked(workload, lines, duration, sup, finals)
        run.dishonoured = dishonoured
        run.disagreements = disagreements
        run.crashes, run.partitions = list(sup.crashes), list(sup.partitions)
        run.trace, run.validation = trace, validation
        return run
    finally:
        if data is None:
            shutil.rmtree(root, ignore_errors=True)


def _run(coro: Coroutine[Any, Any, None]) -> None:
    """``asyncio.run(coro)``, in a thread of its own when this one runs an event loop already
    (a Jupyter kernel's)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def _checked(workload: Clients, lines: list[str], duration: float, sup: KVSupervisor,
             finals: list[dict[str, Any]]) -> KVRun:
    verdict = check(parse_history(lines), "kv") if lines else check(
        parse_history('{"process":0,"type":"invoke","f":"get","key":"k0"}'), "kv")
    best: dict[str, Any] = max(finals, key=lambda f: f["applied"],
                               default={"data": {}, "done": {}})
    lost = lost_writes(workload.ops, best["data"], best["done"])
    stats: dict[str, int] = {}
    for f in finals:
        for k, v in f["stats"].items():
            stats[k] = stats.get(k, 0) + v
    return KVRun(workload.ops, lines, duration, sup.kills, sup.restarts, finals, verdict,
                 lost, stats)


def _outage(sup: KVSupervisor, workload: Clients, until: float) -> None:
    """``kill -9`` the whole cluster in the middle of traffic: right after a client got an
    answer (so operations are in flight and recent ones were just acknowledged), or at
    ``until`` (the loop's time) if none comes."""
    loop = asyncio.get_running_loop()
    if time.perf_counter() - workload.last_answer > BUSY and loop.time() < until:
        loop.call_later(0.002, _outage, sup, workload, until)
        return
    sup.settle()
    sup.outage()


async def _drive(sup: KVSupervisor, workload: Clients, kinds: tuple[str, ...],
                 duration: float, seed: int, outage_every: float,
                 crashes: tuple[tuple[str, float, float], ...]) -> None:
    loop = asyncio.get_running_loop()
    net = tuple(k for k in kinds if k in NET_KINDS)
    faults = plan(net, sup.config.cluster(), duration, seed)
    moves: list[tuple[float, Callable[[], None]]] = []
    for node, at, recover in crashes:
        moves += [(at, partial(sup.kill, node)), (recover, partial(sup.restart, node))]
    for c in faults.crashes:
        moves.append((c.at, partial(sup.kill, c.node)))
        if c.recover is not None:
            moves.append((c.recover, partial(sup.restart, c.node)))
    for p in faults.partitions:
        moves.append((p.start, partial(sup.partition, p, True)))
        if p.end is not None:
            moves.append((p.end, partial(sup.partition, p, False)))
    start = loop.time()
    if "kill-all" in kinds:
        t = 1.5
        while t < duration - 0.5:
            moves.append((t, partial(_outage, sup, workload, start + t + BUSY_WAIT)))
            t += outage_every

    def play(move: Callable[[], None]) -> None:
        sup.settle()
        move()

    handles = [loop.call_at(start + at, play, move) for at, move in sorted(moves,
                                                                              key=lambda m: m[0])]
    try:
        await run_clients(workload, duration)
    finally:
        for h in handles:
            h.cancel()
    for name in sup.names:  # heal
        sup.blocked[name] = frozenset()
        sup.tell(name, "block", names=[])
    for name in sup.names:
        sup.restart(name)
    sup.settle(wait=True)
    deadline = time.monotonic() + QUIESCE
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)


__all__ = ["KINDS", "KVRun", "KVSupervisor", "run_kv"]
