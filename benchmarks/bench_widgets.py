"""How long the explorer takes from a slider change to updated figures.

An ``Explorer`` with 5 acceptors and 2 proposers; the drop-rate slider's value is changed and
its observer called directly, which re-runs the simulation and updates every figure (sequence
diagram, network graph, ballot timeline, state table, summary and reproduce lines) in place.
Target: under 150 ms. The change runs in an event loop, as in a kernel: the figures' synced
state (for views created later) is kept after it, off the repaint's path, and timed apart.
Widgets get a stand-in comm that JSON-encodes every message a kernel
would send to the browser, so the figure payload's serialisation is counted too. Printed: the
median, 90th percentile and worst of the repeats, the bytes sent per change, a breakdown, the
cost of moving the time cursor one step, and as a same-process baseline the simulation alone,
with the ratio of a change's cost to it (target < 50x).

    python benchmarks/bench_widgets.py [--repeats N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import comm
from comm import DummyComm


class JsonComm(DummyComm):
    """A comm that serialises what it is asked to send, like a kernel's session would."""

    sent = 0

    def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None,
                    buffers: Any = None, **keys: Any) -> None:
        JsonComm.sent += len(json.dumps(data, default=str))
        JsonComm.sent += sum(memoryview(b).nbytes for b in buffers or ())


comm.create_comm = lambda *args, **kwargs: JsonComm(*args, **kwargs)  # before any widget

import paxosbook as pb  # noqa: E402
from paxosbook.views import state_html, state_table  # noqa: E402
from paxosbook.views.ballots import ballot_spec  # noqa: E402
from paxosbook.views.frames import Derived  # noqa: E402
from paxosbook.views.network import network_spec  # noqa: E402
from paxosbook.views.sequence import sequence_spec  # noqa: E402
from paxosbook.widgets import Explorer  # noqa: E402
from paxosbook.widgets.figures import KEEP_AFTER, flush_state  # noqa: E402

RATIO_TARGET = 50
"""A change may cost at most this many times the simulation it shows (issue 10)."""


def timed(fn: Callable[[], Any], repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def describe(ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"median {statistics.median(ms):6.1f} ms, p90 {p90:6.1f} ms, worst {ms[-1]:6.1f} ms"


async def _changes(ex: Explorer, drops: list[float],
                   repeats: int) -> tuple[list[float], list[float], list[int], list[int]]:
    """Each change timed as a kernel runs it: in an event loop, the figures' updates sent at
    once, their synced state kept later (``figures.KEEP_AFTER``), timed apart."""
    changes: list[float] = []
    kept: list[float] = []
    sizes: list[int] = []
    kept_sizes: list[int] = []
    figures = [f for f in (ex.sequence, ex.graph, ex.ballots) if f is not None]
    for i in range(repeats):
        old, new = ex.drop.value, drops[i % len(drops)]
        ex.drop.value = new
        JsonComm.sent = 0
        t0 = time.perf_counter()
        ex._on_change({"name": "value", "old": old, "new": new, "owner": ex.drop,
                       "type": "change"})
        changes.append((time.perf_counter() - t0) * 1000)
        sizes.append(JsonComm.sent)
        assert ex.message.value == "" and ex.config.drop == new
        JsonComm.sent = 0
        t0 = time.perf_counter()
        for fig in figures:  # what the loop's timers would do KEEP_AFTER s later
            flush_state(fig)
        kept.append((time.perf_counter() - t0) * 1000)
        kept_sizes.append(JsonComm.sent)
    await asyncio.sleep(KEEP_AFTER + 0.05)  # the timers, now with nothing to do
    return changes, kept, sizes, kept_sizes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    args = ap.parse_args()
    t0 = time.perf_counter()
    ex = Explorer(acceptors=5, proposers=2)
    print(f"Explorer(acceptors=5, proposers=2) built in {time.perf_counter() - t0:.2f} s "
          "(first figure: plotly's validators load)")
    ex.drop.unobserve(ex._on_change, names="value")  # we call the observer ourselves
    drops = [0.0, 0.05, 0.1, 0.15, 0.2]
    changes, kept, sizes, kept_sizes = asyncio.run(_changes(ex, drops, args.repeats))
    ok = statistics.median(changes) < 150
    print(f"slider change -> updated figures: {describe(changes)}   target < 150 ms   "
          f"{'MET' if ok else 'MISSED'}")
    print(f"  sent to the browser per change: {statistics.median(sizes) / 1024:.0f} KiB "
          f"(JSON and binary buffers)")
    print(f"  then, {KEEP_AFTER} s later and once for a burst of changes (off the repaint's "
          f"path): the figures' synced state, {describe(kept)}, "
          f"{statistics.median(kept_sizes) / 1024:.0f} KiB")
    run = ex.run
    assert run is not None
    config, cluster, t = run.config, run.config.cluster(), ex.viewer.time
    parts: dict[str, Callable[[], Any]] = {
        "simulate": lambda: pb.simulate(config, seed=0),
        "trace DataFrame + summary": lambda: (pb.Run(config, 0, run.records).trace,
                                              pb.Run(config, 0, run.records).summary(digest=False)),
        "derived tables (once a run)": lambda: [
            getattr(Derived(run.trace, cluster), name) for name in (
                "roles", "msgs", "window", "crashes", "partitions", "events", "times")],
        "sequence spec": lambda: sequence_spec(run.trace, time=t, cluster=cluster),
        "network spec + state table": lambda: (network_spec(run.trace, t, cluster=cluster),
                                               state_html(state_table(run.trace, t,
                                                                      cluster=cluster))),
        "ballot spec": lambda: ballot_spec(run.trace, cluster=cluster),
    }
    print("  (the views below reuse the run's derived tables, as they do after a change)")
    for name, fn in parts.items():
        print(f"  {name:<28} {statistics.median(timed(fn, 10)):6.1f} ms")
    step = timed(lambda: ex.cursor.set_trait("value", (ex.cursor.value + 1) % (ex.cursor.max
                                                                              + 1)), 20)
    print(f"time cursor one step (graph, table, cursor line): {describe(step)}")
    base = timed(lambda: pb.simulate(config, seed=0), 30)
    ratio = statistics.median(changes) / statistics.median(base)
    print(f"baseline: the simulation alone {statistics.median(base):.2f} ms "
          f"({run.summary().messages_sent} messages); change / simulation = {ratio:.0f}x   "
          f"target < {RATIO_TARGET}x   {'MET' if ratio < RATIO_TARGET else 'MISSED'}")


if __name__ == "__main__":
    main()
