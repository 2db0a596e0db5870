"""What the simulator runs: a Basic Paxos ``Cluster`` (from ``Config.cluster()``) or any other
``System`` of nodes, such as the replicated logs of ``paxosbook.replication``.

A system names its nodes, says which of them must have learned for the run to be decided,
when which node starts (and with what value, for the trace), which faults it suffers, and
builds a node fresh or from its stable storage after a crash. A node routes each message type
to a handler (``routes``) and has ``on_start``, ``on_message`` and ``on_timeout``; handlers
return effects. Messages are tuples that start ``(src, dst, ...)``; timers are any hashable
key with a ``value`` to show in the trace.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from ..config import Crash, Partition


class SimNode(Protocol):
    routes: dict[type, Callable[[Any], list[Any]]]

    def on_start(self) -> list[Any]: ...

    def on_message(self, msg: Any) -> list[Any]: ...

    def on_timeout(self, timer: Any) -> list[Any]: ...


class System(Protocol):
    @property
    def nodes(self) -> tuple[str, ...]: ...

    @property
    def learners(self) -> tuple[str, ...]:
        """The run is decided once each of these has learned (``Learn``, or a ``LearnSlot``
        with ``complete`` set)."""

    @property
    def crashes(self) -> Sequence[Crash]: ...

    @property
    def partitions(self) -> Sequence[Partition]: ...

    def start_events(self) -> Sequence[tuple[float, str, Any]]:
        """``(time, node, value)``: call ``node.on_start()`` at ``time``; the trace's start
        event shows ``value``."""

    def make_node(self, name: str, stored: Mapping[Any, Any] | None = None) -> SimNode: ...
