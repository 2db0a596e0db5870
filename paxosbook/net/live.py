"""A real cluster you can watch and hit while it runs: ``LiveCluster``.

Theory of operation. ``run_cluster`` blocks until the run is over; a notebook wants to kill a
node by hand and watch the trace grow. ``LiveCluster.start`` launches the same ``Supervisor``
and plays its plan in a background thread, for at most ``duration`` seconds; ``kill`` and
``restart`` act on a node at once, from any thread. One lock serialises every move on the
supervisor (the plan's and the reader's), so they apply one at a time in the order made, and
``Supervisor.applied`` records each when it happens. ``snapshot`` merges the events written so
far (the nodes' event files are append-only and a line cut short is skipped; SQLite in WAL mode
lets a reader in while a node writes) into a ``NetRun``, the same kind of run the finished
cluster gives. ``stop`` (or the end of ``duration``) stops every node, merges the final run
and kills the process group: no process outlives it, and the temporary directory is removed.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..core import UsageError
from ..network import Crash, Partition
from .cluster import Supervisor, prepare
from .run import NetRun, collect, merge

TICK = 0.05
"""Seconds between the player thread's looks at the plan and at restarted nodes."""


class LiveCluster:
    """A real cluster in a background thread (arguments as for ``run_cluster``, which see);
    use ``start``, ``kill``, ``restart``, ``snapshot``, ``stop`` (or ``with``)."""

    def __init__(self, *, acceptors: int = 5, proposers: int = 2, learners: int = 1,
                 colocated: bool = True, duration: float = 30.0,
                 nemesis: str | Iterable[str] = (), seed: int = 0, timeout: float = 0.5,
                 mutants: Iterable[str] = (), crashes: Iterable[Crash | str] = (),
                 partitions: Iterable[Partition | str] = (),
                 start_times: Iterable[float] = ()) -> None:
        self.config, self.plan = prepare(
            acceptors=acceptors, proposers=proposers, learners=learners, duration=duration,
            nemesis=nemesis, seed=seed, mutants=mutants, crashes=crashes,
            partitions=partitions, timeout=timeout, colocated=colocated,
            start_times=start_times)
        self.duration, self.seed = duration, seed
        self.nodes: tuple[str, ...] = self.config.cluster().nodes
        self.supervisor: Supervisor | None = None
        self.result: NetRun | None = None
        self.error: BaseException | None = None
        self._lock = threading.RLock()
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None
        self._root: Path | None = None

    def __enter__(self) -> LiveCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- state ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def elapsed(self) -> float:
        """Seconds since the nodes started (0 before, ``duration`` at most)."""
        sup = self.supervisor
        return 0.0 if sup is None else min(time.monotonic() - sup.t0, self.duration)

    @property
    def down(self) -> frozenset[str]:
        """The nodes killed and not restarted."""
        sup = self.supervisor
        return frozenset() if sup is None else frozenset(sup.down)

    # -- moves ------------------------------------------------------------------------------
    def start(self) -> LiveCluster:
        """Start every node and the player thread (once); returns at once."""
        with self._lock:
            if self.supervisor is not None:
                return self
            self._root = Path(tempfile.mkdtemp(prefix="paxosbook-live-"))
            sup = Supervisor(self.config, self._root, self.seed, self.plan)
            self.supervisor = sup
            try:
                sup.launch()
            except BaseException:
                self._finish(keep=False)
                raise
            self._thread = threading.Thread(target=self._play, name="paxosbook-live",
                                            daemon=True)
            self._thread.start()
        return self

    def kill(self, name: str) -> None:
        """``kill -9`` node ``name`` now (nothing if it is down or the run is over)."""
        self._check(name)
        with self._lock:
            if self.running and self.supervisor is not None:
                self.supervisor.settle()
                self.supervisor.kill(name)

    def restart(self, name: str) -> None:
        """Restart node ``name`` from its SQLite file now (nothing if it is up)."""
        self._check(name)
        with self._lock:
            if self.running and self.supervisor is not None:
                self.supervisor.settle()
                self.supervisor.restart(name)

    def _check(self, name: str) -> None:
        if name not in self.nodes:
            raise UsageError("node", "a node of this cluster (" + ", ".join(self.nodes) + ")",
                             name)

    # -- the run ----------------------------------------------------------------------------
    def snapshot(self) -> NetRun:
        """The merged run so far (the final run once it is over)."""
        if self.result is not None:
            return self.result
        with self._lock:
            sup = self.supervisor
            if sup is None or self._root is None:
                return NetRun(self.config, self.seed, [], "not started")
            t = self.elapsed
            events = [*sup.events, *collect(self._root, self.nodes)]
            return NetRun(sup.applied(), self.seed, merge(events), "running", sup.kills,
                          sup.restarts, self.plan.applied(t))

    def ended(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the run to end; whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def wait(self, timeout: float | None = None) -> NetRun:
        """Wait for the run to end by itself (at ``duration``) and return it."""
        if self._thread is not None:
            self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.snapshot()

    def stop(self) -> NetRun:
        """End the run now (every node stopped, then killed with its process group) and
        return it."""
        self._halt.set()
        if self._thread is not None:
            self._thread.join()
        elif self.supervisor is not None:
            self._finish(keep=False)
        if self.error is not None:
            raise self.error
        return self.snapshot()

    def _play(self) -> None:
        sup = self.supervisor
        assert sup is not None
        moves = sup.moves(self.duration)
        try:
            while not self._halt.wait(TICK) and self.elapsed < self.duration:
                with self._lock:
                    sup.settle()
                    while moves and moves[0][0] <= self.elapsed:
                        moves.pop(0)[1]()
            with self._lock:
                sup.settle(wait=True)
                sup.stop()
        except BaseException as exc:  # reported by stop / wait
            self.error = exc
        finally:
            self._finish(keep=self.error is None)

    def _finish(self, keep: bool) -> None:
        """Kill what is left, merge the final run (if ``keep``), remove the directory."""
        with self._lock:
            sup = self.supervisor
            if sup is None or self.result is not None:
                return
            sup.close()
            if keep and self._root is not None:
                t = min(time.monotonic() - sup.t0, self.duration)
                self.result = NetRun(sup.applied(), self.seed, sup.merged(), "time", sup.kills,
                                     sup.restarts, self.plan.applied(t))
            if self._root is not None:
                with contextlib.suppress(OSError):
                    shutil.rmtree(self._root, ignore_errors=True)

    def report(self) -> dict[str, Any]:
        """``NetRun.report`` of the run so far."""
        return self.snapshot().report()
