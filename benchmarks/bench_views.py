"""How long the views take to build.

The sequence diagram of a 10,000-message trace (target < 1 s) and of a 200-message trace
(target < 50 ms), built from the trace DataFrame (``Run.trace``, already materialised) as a
validated ``go.Figure``; the spec alone (the plain JSON the widgets send); and, for scale, the
network graph, state table and ballot timeline of the same traces. Best of several repeats.
Also prints, as a same-process baseline, the time to turn the same trace into one JSON string
with pandas (``DataFrame.to_json``), and the ratio.

    python benchmarks/bench_views.py [--repeats N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import paxosbook as pb
from paxosbook.views import (
    ballot_timeline,
    network_graph,
    sequence_diagram,
    state_table,
    styled_state_table,
)
from paxosbook.views.sequence import sequence_spec


def run_with(messages: int) -> pb.Run:
    """``messages`` messages of a lossy livelock (5 acceptors, 3 proposers without backoff and
    a timeout below the round trip): every message type, drops and duplicates, no end."""
    config = pb.Config(acceptors=5, proposers=3, timeout=1.3, backoff="none", delay_jitter=0.5,
                       drop=0.1, duplicate=0.05, max_messages=messages, max_time=1e9)
    return pb.simulate(config, seed=1)


def best_ms(fn: Callable[[], Any], repeats: int) -> float:
    fn()  # warm up (imports, validator caches)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best * 1000


def report(messages: int, target: float, repeats: int) -> None:
    run = run_with(messages)
    trace = run.trace
    s = run.summary()
    t = float(trace["time"].iloc[len(trace) // 2])
    print(f"{s.messages_sent:,}-message trace ({len(trace):,} events, "
          f"{s.messages_dropped:,} dropped, {s.messages_duplicated:,} duplicated):")
    seq = best_ms(lambda: sequence_diagram(trace, time=t), repeats)
    fig = sequence_diagram(trace, time=t)
    print(f"  sequence_diagram      {seq:8.1f} ms   target < {target:.0f} ms   "
          f"{'MET' if seq < target else 'MISSED'}   ({len(fig.data)} traces, "
          f"{type(fig.data[5]).__name__} for messages)")
    print(f"  sequence_spec (JSON)  {best_ms(lambda: sequence_spec(trace, time=t), repeats):8.1f}"
          " ms")
    for name, fn in (("network_graph", lambda: network_graph(trace, t)),
                     ("state_table", lambda: state_table(trace, t)),
                     ("styled table to HTML", lambda: styled_state_table(trace, t).to_html()),
                     ("ballot_timeline", lambda: ballot_timeline(trace))):
        print(f"  {name:<21} {best_ms(fn, repeats):8.1f} ms")
    frame = best_ms(lambda: pb.Run(run.config, run.seed, run.records).trace, repeats)
    print(f"  (Run.trace itself, records -> DataFrame, not counted above: {frame:.1f} ms)")
    base = best_ms(lambda: trace.to_json(), repeats)
    print(f"  baseline: trace.to_json() {base:.1f} ms; sequence_diagram / baseline = "
          f"{seq / base:.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    report(10_000, 1000.0, args.repeats)
    report(200, 50.0, args.repeats)


if __name__ == "__main__":
    main()
