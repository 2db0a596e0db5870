"""KV store throughput and latency without faults, next to the disk's fsync limit.

Runs ``paxosbook kv`` (5 nodes, 10 clients, no nemesis) and, in the same run and on the same
disk, a loop of single-row SQLite commits with ``synchronous=FULL`` (the physical limit of a
store that fsyncs every operation). Prints ops/s, p50/p99 latency, the commits the nodes
made, ops per fsync'd commit and the ratio of ops/s to the fsync limit, and MET/MISSED
against the issue's target: >= 1,000 ops/s and p99 < 50 ms.

    python benchmarks/bench_kv.py [--duration 10] [--nodes 5] [--clients 10]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from paxosbook.kv.run import run_kv
from paxosbook.kv.store import fsync_rate

TARGET_OPS, TARGET_P99_MS = 1000.0, 50.0


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--nodes", type=int, default=5)
    p.add_argument("--clients", type=int, default=10)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-kv-") as tmp:
        limit = fsync_rate(Path(tmp) / "fsync.sqlite", 2.0)
    run = run_kv(nodes=args.nodes, clients=args.clients, duration=args.duration)
    r = run.report()
    done = r["ok"] + r["failed"]
    # commits of the leader: every operation passes through its acceptor's transactions
    leader = max(run.finals, key=lambda f: f["stats"].get("batches", 0))
    commits = leader["stats"].get("commits", 0)
    print(f"fsync limit (single-row SQLite commits, synchronous=FULL): {limit:8.0f} /s")
    print(f"kv: {args.nodes} nodes, {args.clients} clients, {args.duration:.0f} s, no faults: "
          f"{r['ops_per_second']:8.0f} ops/s, p50 {r['latency_p50_ms']:.1f} ms, "
          f"p99 {r['latency_p99_ms']:.1f} ms, linearizable {r['linearizable']}")
    print(f"leader {leader['name']}: {leader['stats'].get('batches', 0)} batches, {commits} "
          f"commits -> {done / max(commits, 1):.1f} ops per fsync'd commit")
    print(f"ops/s over the fsync limit: {r['ops_per_second'] / limit:.2f}")
    ok = r["ops_per_second"] >= TARGET_OPS and r["latency_p99_ms"] < TARGET_P99_MS
    print(f"target >= {TARGET_OPS:.0f} ops/s and p99 < {TARGET_P99_MS:.0f} ms: "
          f"{'MET' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
