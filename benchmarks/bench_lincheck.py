"""Linearizability checker speed on real histories: every file of ``tests/data/histories``
(Jepsen's etcd register histories and porcupine's key-value histories) checked with its verdict,
the time of each and the slowest, against the issue's target (each file within 10 s here).

    python benchmarks/bench_lincheck.py
"""

from __future__ import annotations

import time
from pathlib import Path

from paxosbook.linearizability import check

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "histories"
TARGET = 10.0


def main() -> int:
    worst, wrong, rows = 0.0, 0, 0
    for folder, model in (("jepsen-etcd", "register"), ("kv", "kv")):
        for line in (DATA / folder / "VERDICTS.tsv").read_text().splitlines():
            name, expected = line.split("\t")
            t0 = time.perf_counter()
            r = check(DATA / folder / name, model)
            dt = time.perf_counter() - t0
            worst, rows = max(worst, dt), rows + 1
            wrong += r.linearizable is not (expected == "true")
            print(f"{name:<14} {r.operations:>4} ops  {dt:6.2f} s  {r.linearizable!s:<5} "
                  f"(expected {expected})  failing part {len(r.failing)}")
    print(f"{rows} histories, {wrong} wrong verdicts; slowest {worst:.2f} s "
          f"(target < {TARGET:.0f} s each): {'MET' if worst < TARGET and not wrong else 'MISSED'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
