"""The supervisor: starts one process per node, plays the nemesis's plan, merges the events.

Theory of operation. ``run_cluster`` builds the deployment's ``Config`` (times in seconds),
draws the fault plan (``nemesis.plan``) and hands both to a ``Supervisor``. The supervisor
first starts an anchor process in a new process group and every node in that same group, each
with its standard input a control pipe; ``close`` kills the whole group with ``killpg`` and
reaps every child. It runs on normal exit, on an exception, on ``KeyboardInterrupt`` and (via
``atexit``) at interpreter exit, and a node whose control pipe closes exits by itself, so no
node outlives its supervisor. Each node binds an ephemeral UDP port on 127.0.0.1 and reports
it; the supervisor tells every node every port, then says start. It then plays the plan in
real time: ``kill -9`` and restart (a restarted node reads its SQLite file back, rebinds
its port and starts at once; the supervisor does not wait for it), partitions (each node told
which names to neither send to nor hear from), while the transports draw loss, duplication
and delay themselves in the plan's windows (each node is given them, and reads the run's one
clock). The supervisor keeps the kills, restarts and partitions it actually made, at the times
it made them (``applied``): the merged run's config shows those, not the plan.

At the end the events of every node (its JSON lines and the promise and accept events in its
SQLite file) and the supervisor's own (crash, partition) are merged, sorted by time (one
monotonic clock on one host), ties by Lamport clock, message ids renumbered, into one ``Run``:
the sequence diagram, the properties, ``to_json`` and trace validation read it as they read a
simulated run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import IO, Any

from ..config import Config
from ..core import PaxosbookError, UsageError
from ..events import CRASH, PARTITION_END, PARTITION_START, Record
from ..network import Crash, Partition, as_crash, as_partition
from ..validation import check_number
from .nemesis import Plan, plan
from .run import Event, NetRun, collect, merge
from .wire import control

STARTUP = 30.0
"""Most seconds a node may take to start and report its port."""

NOMINAL_DELAY = 0.001
"""The ``delay_mean`` a real run's config shows when no delay is injected (the config's
network fields describe what the transports inject, not the wire)."""

class NodeFailure(RuntimeError):
    """A node process failed by itself (not by the nemesis's hand): the runtime is broken,
    not Paxos. The message names the node and the last line of its standard error."""


class Supervisor:
    """The processes of one real cluster; use as a context manager (``close`` on exit)."""

    def __init__(self, config: Config, data: Path, seed: int, faults: Plan) -> None:
        self.config, self.data, self.seed, self.faults = config, data, seed, faults
        self.names = config.cluster().nodes
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.children: list[subprocess.Popen[bytes]] = []
        self.pending: dict[str, subprocess.Popen[bytes]] = {}  # restarted, port not read yet
        self.ports: dict[str, int] = {}
        self.incarnation = dict.fromkeys(self.names, 0)
        self.blocked: dict[str, frozenset[str]] = {}
        self.events: list[Event] = []
        self.kills = self.restarts = 0
        self.down: dict[str, float] = {}  # killed node -> when
        self.crashes: list[Crash] = []  # what was done, at the times it was done
        self.cut: dict[Partition, float] = {}
        self.partitions: list[Partition] = []
        self.t0 = time.monotonic()
        self.pgid = 0

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- processes --------------------------------------------------------------------------
    def launch(self) -> None:
        """Start the anchor and every node, tell them the ports, and start them."""
        (self.data / "config.json").write_text(json.dumps(self.config.as_dict()), "utf-8")
        anchor = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()",
                                   str(self.data)],  # named by its data directory
                                  stdin=subprocess.PIPE, process_group=0)
        self.children.append(anchor)
        self.pgid = anchor.pid
        atexit.register(self.close)
        for name in self.names:
            self.procs[name] = self.spawn(name)
        deadline = time.monotonic() + STARTUP
        for name in self.names:
            self.ports[name] = self.answer(name, deadline)["port"]
        self.t0 = time.monotonic()
        for p in self.config.partitions:  # a partition from the start is in place before it
            if p.start <= 0:
                self.partition(p, True, tell=False)
        for name in self.names:
            self.tell(name, "peers", peers=self.addresses(), t0=self.t0,
                      block=sorted(self.blocked.get(name, ())))
        for name in self.names:  # every node knows every port and cut before any starts
            self.answer(name, deadline)
        self.broadcast("start")

    def node_argv(self, name: str, port: int) -> list[str]:
        """The command line of node ``name`` (its process module and flags, before the
        peers and blocked names ``spawn`` adds)."""
        f = self.faults
        return [sys.executable, "-m", "paxosbook.net.node", "--config",
                str(self.data / "config.json"), "--name", name, "--data", str(self.data),
                "--port", str(port), "--seed", str(self.seed), "--incarnation",
                str(self.incarnation[name]), "--t0", repr(self.t0), "--drop", repr(f.drop),
                "--windows", json.dumps([w.as_list() for w in f.windows]), "--control"]

    def spawn(self, name: str, port: int = 0, peers: str = "",
              blocked: frozenset[str] = frozenset()) -> subprocess.Popen[bytes]:
        argv = self.node_argv(name, port)
        if peers:
            argv += ["--peers", peers]
        if blocked:
            argv += ["--block", ",".join(sorted(blocked))]
        with open(self.data / f"{name}.stderr", "ab") as err:
            proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=err, process_group=self.pgid)
        self.children.append(proc)
        return proc

    def addresses(self) -> dict[str, tuple[str, int]]:
        return {n: ("127.0.0.1", p) for n, p in self.ports.items()}

    def tell(self, name: str, op: str, **fields: Any) -> None:
        proc = self.procs.get(name)
        if proc is None or proc.stdin is None:
            return
        try:
            proc.stdin.write(control(op, **fields))
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            pass  # it died: the nemesis or a crash; its events say what it did

    def broadcast(self, op: str, **fields: Any) -> None:
        for name in self.names:
            self.tell(name, op, **fields)

    def note(self, event: str, node: str = "", detail: str = "") -> float:
        rec = (time.monotonic() - self.t0, event, node, "", None, -1, -1, detail)
        self.events.append((rec, 0, "", ""))
        return rec[0]

    # -- the nemesis's moves ----------------------------------------------------------------
    def kill(self, name: str) -> None:
        """``kill -9`` the node and reap it."""
        proc = self.procs.pop(name, None)
        self.pending.pop(name, None)
        if proc is None:
            return
        proc.kill()
        proc.wait()
        _close(proc)
        self.kills += 1
        self.down[name] = _rounded(self.note(CRASH, name))

    def restart(self, name: str) -> None:
        """Start the node again from its SQLite file, on its old port, with every peer."""
        if name in self.procs:
            return
        self.incarnation[name] += 1
        peers = ",".join(f"127.0.0.1:{self.ports[n]}" for n in self.names)
        self.procs[name] = self.pending[name] = self.spawn(
            name, self.ports[name], peers, self.blocked.get(name, frozenset()))
        self.restarts += 1
        at = self.down.pop(name, None)
        if at is not None:
            self.crashes.append(Crash(name, at, max(_rounded(self.now()), at + 1e-6)))

    def settle(self, wait: bool = False) -> None:
        """Read the port of each restarted node that has reported it (all of them, if
        ``wait``); if one could not have its old port back, tell everyone the new one."""
        for name, proc in list(self.pending.items()):
            out = proc.stdout
            if out is None or (not wait and not select.select([out], [], [], 0)[0]):
                continue
            del self.pending[name]
            try:
                port = self.answer(name, time.monotonic() + STARTUP)["port"]
            except NodeFailure:
                continue  # it failed to start: ``stop`` reports it
            if port != self.ports[name]:
                self.ports[name] = port
                self.broadcast("peers", peers=self.addresses(), t0=self.t0)

    def partition(self, p: Partition, start: bool, tell: bool = True) -> None:
        groups = {n: g for g, members in enumerate(p.groups) for n in members}
        t = _rounded(self.note(PARTITION_START if start else PARTITION_END, detail=p.describe()))
        if start:
            self.cut[p] = t
        elif p in self.cut:
            began = self.cut.pop(p)
            self.partitions.append(Partition(p.groups, began, max(t, began + 1e-6)))
        for name, g in groups.items():
            cut = frozenset(n for n, h in groups.items() if h != g) if start else frozenset()
            self.blocked[name] = cut
            if tell:
                self.tell(name, "block", names=sorted(cut))

    def play(self, duration: float) -> None:
        """Play the config's crashes and partitions in real time for ``duration`` seconds."""
        for at, move in self.moves(duration):
            _sleep_until(self.t0 + at)
            self.settle()
            move()
        _sleep_until(self.t0 + duration)
        self.settle(wait=True)

    def moves(self, duration: float) -> list[tuple[float, Callable[[], None]]]:
        """The config's kills, restarts and partitions before ``duration``: ``(time, move)``
        in the order to play them."""
        moves: list[tuple[float, int, Callable[[], None]]] = []
        for i, c in enumerate(self.config.crashes):
            moves.append((c.at, 2 * i, partial(self.kill, c.node)))
            if c.recover is not None:
                moves.append((c.recover, 2 * i + 1, partial(self.restart, c.node)))
        n = len(moves)
        for i, p in enumerate(self.config.partitions):
            if p.start > 0:  # the others were put in place before the nodes started
                moves.append((p.start, n + 2 * i, partial(self.partition, p, True)))
            if p.end is not None:
                moves.append((p.end, n + 2 * i + 1, partial(self.partition, p, False)))
        return [(at, move) for at, _, move in sorted(moves, key=lambda m: (m[0], m[1]))
                if at < duration]

    def now(self) -> float:
        return time.monotonic() - self.t0

    def applied(self) -> Config:
        """The config with the kills, restarts and partitions made, when they were made
        (a node still down, a partition not healed, at the end: ``recover``, ``end`` None)."""
        crashes = [*self.crashes, *(Crash(n, at) for n, at in self.down.items())]
        cuts = [*self.partitions, *(Partition(p.groups, at) for p, at in self.cut.items())]
        return self.config.replace(crashes=tuple(sorted(crashes, key=lambda c: c.at)),
                                   partitions=tuple(sorted(cuts, key=lambda c: c.start)))

    def stop(self, grace: float = 5.0) -> None:
        """Ask every node to stop and wait for it (then ``close`` kills what is left)."""
        self.broadcast("stop")
        deadline = time.monotonic() + grace
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.0, deadline - time.monotonic()))
        for name, proc in self.procs.items():
            if proc.returncode not in (0, None):
                raise NodeFailure(f"node {name} exited with status {proc.returncode}: "
                                  f"{self.last_error(name)}")

    def last_error(self, name: str) -> str:
        """The last line the node wrote on its standard error."""
        path = self.data / f"{name}.stderr"
        lines = path.read_text("utf-8", "replace").strip().splitlines() if path.exists() else []
        return lines[-1] if lines else "(nothing on its standard error)"

    def answer(self, name: str, deadline: float) -> dict[str, int]:
        """The next line node ``name`` prints: its port once bound, then the number of peers
        it knows."""
        out = self.procs[name].stdout
        assert out is not None
        ready, _, _ = select.select([out], [], [], max(0.0, deadline - time.monotonic()))
        line = out.readline() if ready else b""
        try:
            doc = json.loads(line)
            return {k: int(v) for k, v in doc.items()}
        except (ValueError, AttributeError, TypeError):
            raise NodeFailure(f"node {name} did not answer: {self.last_error(name)}") from None

    def close(self) -> None:
        """Kill the whole process group and reap every child (idempotent)."""
        if self.pgid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pgid, signal.SIGKILL)
        for proc in self.children:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            _close(proc)
        self.procs.clear()
        atexit.unregister(self.close)

    def merged(self) -> list[Record]:
        """Every node's events and the supervisor's, in one order, ids renumbered."""
        return merge([*self.events, *collect(self.data, self.names)])


def run_cluster(*, acceptors: int = 3, proposers: int = 1, learners: int = 1,
                duration: float = 3.0, nemesis: str | Iterable[str] = (), seed: int = 0,
                data: str | os.PathLike[str] | None = None, allow_majority: bool = False,
                mutants: Iterable[str] = (), crashes: Iterable[Crash | str] = (),
                partitions: Iterable[Partition | str] = (), timeout: float = 0.5,
                colocated: bool = False, start_times: Iterable[float] = ()) -> NetRun:
    """Run a real cluster for ``duration`` seconds under the nemesis's plan (drawn from
    ``seed``) plus the given ``crashes`` and ``partitions`` (times in seconds; the proposers
    start at ``start_times``, default all at 0); return the merged run, whose config shows the
    faults applied (``Supervisor.applied``) and whose ``faults`` the transport windows.
    ``data``, a new or empty directory, keeps the SQLite and event files
    (default: a temporary directory, removed afterwards). ``colocated``: nodes ``n1..`` each
    an acceptor and a learner, the first ones also proposers (fewer processes).
    ``UsageError`` for a bad argument, before any process starts."""
    config, faults = prepare(
        acceptors=acceptors, proposers=proposers, learners=learners, duration=duration,
        nemesis=nemesis, seed=seed, allow_majority=allow_majority, mutants=mutants,
        crashes=crashes, partitions=partitions, timeout=timeout, colocated=colocated,
        start_times=start_times)
    root = data_dir(data)
    try:
        with Supervisor(config, root, seed, faults) as sup:
            sup.launch()
            sup.play(duration)
            sup.stop()
            sup.close()
            return NetRun(sup.applied(), seed, sup.merged(), "time", sup.kills,
                          sup.restarts, faults.applied(duration))
    finally:
        if data is None:
            shutil.rmtree(root, ignore_errors=True)


def data_dir(data: str | os.PathLike[str] | None, prefix: str = "paxosbook-net-") -> Path:
    """The directory a run keeps its nodes' files in: ``data``, created if need be (a new or
    empty directory: a node would restore the state a previous run left there), or a new
    temporary one when ``data`` is None (the caller removes it). ``UsageError`` naming
    ``data`` when it is not new or empty or cannot be created."""
    if data is None:
        return Path(tempfile.mkdtemp(prefix=prefix))
    root = Path(data)
    allowed = ("a new or empty directory (a node would restore the state a previous run "
               "left there)")
    try:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise UsageError("data", allowed, str(data))
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError("data", allowed, f"{data} ({exc.strerror})") from None
    return root


def prepare(*, acceptors: int = 3, proposers: int = 1, learners: int = 1,
            duration: float = 3.0, nemesis: str | Iterable[str] = (), seed: int = 0,
            allow_majority: bool = False, mutants: Iterable[str] = (),
            crashes: Iterable[Crash | str] = (), partitions: Iterable[Partition | str] = (),
            timeout: float = 0.5, colocated: bool = False,
            start_times: Iterable[float] = ()) -> tuple[Config, Plan]:
    """The config of a real run (times in seconds) and the nemesis's plan (arguments as for
    ``run_cluster``); ``UsageError`` for a bad one."""
    check_number("duration", duration, 0.0, 3600.0, open_lo=True)
    base = Config(acceptors=acceptors, proposers=proposers, learners=learners,
                  colocated=colocated, timeout=timeout, backoff="exponential",
                  backoff_base=timeout / 4, mutants=tuple(mutants),
                  crashes=tuple(map(as_crash, crashes)),
                  partitions=tuple(map(as_partition, partitions)), max_time=duration,
                  start_times=tuple(start_times),
                  stop_when_decided=False, delay="constant", delay_mean=NOMINAL_DELAY)
    faults = plan(nemesis, base.cluster(), duration, seed, allow_majority)
    return _with_plan(base, faults), faults


def _with_plan(base: Config, faults: Plan) -> Config:
    """``base`` with the plan's kills and partitions added and its transport faults shown."""
    extra: dict[str, Any] = {"drop": faults.drop, "duplicate": faults.duplicate}  # in windows
    if faults.delay:
        extra.update(delay="uniform", delay_mean=faults.delay / 2,
                     delay_jitter=faults.delay / 2)
    try:
        return base.replace(crashes=base.crashes + faults.crashes,
                            partitions=base.partitions + faults.partitions, **extra)
    except PaxosbookError as exc:
        raise UsageError("nemesis", "a plan compatible with the given crashes and partitions "
                         f"({exc})", "") from None


def _rounded(t: float) -> float:
    return round(t, 6)


def _sleep_until(at: float) -> None:
    delay = at - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def _close(proc: subprocess.Popen[bytes]) -> None:
    for pipe in (proc.stdin, proc.stdout):
        _quiet_close(pipe)


def _quiet_close(pipe: IO[bytes] | None) -> None:
    if pipe is not None:
        with contextlib.suppress(OSError):
            pipe.close()
