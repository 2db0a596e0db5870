"""Real processes (``paxosbook.net``): each test starts a small cluster on 127.0.0.1 for a
few seconds. The verdicts come from independent readers of the merged run: the safety
properties, trace validation against Paxos.tla, and the nodes' SQLite files."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paxosbook.check import validate
from paxosbook.cli import main
from paxosbook.config import Config
from paxosbook.core import AcceptorState, Ballot, Prepare, Promise
from paxosbook.net.cluster import NodeFailure, run_cluster
from paxosbook.net.nemesis import Plan, Window, plan
from paxosbook.net.node import Faults, NodeRuntime
from paxosbook.net.run import Event, lost_in_crashes, merged_run
from paxosbook.net.store import stored
from paxosbook.network import Partition
from paxosbook.properties.restart import restart_violations
from paxosbook.trace import Run
from paxosbook.views import safety_verdict
from paxosbook.views.sequence import sequence_diagram

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
pytestmark = pytest.mark.skipif(not Path("/proc/self/cmdline").exists(),
                                reason="process checks read /proc")


def processes_naming(text: str) -> list[int]:
    """Pids of live processes whose command line contains ``text`` (e.g. a data directory)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline:
                pids.append(int(entry.name))
    return pids


def learned(run: Run) -> set[str]:
    return {r[4].value for r in run.records if r[1] == "learn"}


def test_a_fault_free_cluster_decides_and_its_merged_run_validates(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = run_cluster(acceptors=3, proposers=2, colocated=True, duration=1.0, data=tmp_path)
    assert run.summary().all_learned and len(learned(run)) == 1
    assert run.violations == []
    assert validate(run).ok  # every event explained by a step of Paxos.tla
    assert Run.from_json(run.to_json()).rows() == run.rows()
    assert sequence_diagram(run) is not None
    (tmp_path / "run.json").write_text(run.to_json())
    assert main(["show", str(tmp_path / "run.json")]) == 0
    assert "cannot be re-simulated" in capsys.readouterr().out
    assert processes_naming(str(tmp_path)) == []


def first_state_after_recover(run: Run, node: str) -> AcceptorState:
    events = [r for r in run.records if r[2] == node]
    back = next(i for i, r in enumerate(events) if r[1] == "recover")
    return next(r[4] for r in events[back:] if r[1] in ("promise", "accept"))


def last_state_before_crash(run: Run, node: str) -> AcceptorState:
    events = [r for r in run.records if r[2] == node]
    down = next(i for i, r in enumerate(events) if r[1] == "crash")
    return [r[4] for r in events[:down] if r[1] in ("promise", "accept")][-1]


KILLS = ("a1@0.6:0.9", "p1@1.2:1.5")
"""Kill an acceptor after the decision, then the proposer, whose restart sends a new ballot
the restarted acceptor answers."""


def test_a_restarted_acceptor_honours_its_earlier_promise(tmp_path: Path) -> None:
    run = run_cluster(acceptors=3, duration=3.0, crashes=KILLS, data=tmp_path)
    before, after = last_state_before_crash(run, "a1"), first_state_after_recover(run, "a1")
    assert before.accepted is not None
    assert after.promised > before.promised and after.accepted == before.accepted
    crash = next(i for i, r in enumerate(run.records) if r[1] == "crash")
    told = [r[4].ballot for r in run.records[:crash] if r[1] == "send" and r[2] == "a1"]
    assert told and after.promised >= max(told)  # every promise and vote it sent, kept
    assert stored(tmp_path / "a1.sqlite")[AcceptorState].accepted.value == (  # type: ignore[union-attr]
        before.accepted.value)
    assert (run.kills, run.restarts) == (2, 2)
    assert run.violations == [] and validate(run).ok


def test_the_forget_promise_mutant_forgets_on_a_real_restart(tmp_path: Path) -> None:
    run = run_cluster(acceptors=3, duration=3.0, crashes=KILLS, data=tmp_path,
                      mutants=["forget-promise-on-restart"])
    before, after = last_state_before_crash(run, "a1"), first_state_after_recover(run, "a1")
    assert before.accepted is not None and after.accepted is None  # the teeth
    result = validate(run)
    assert not result.ok and result.failure is not None
    assert result.failure.row is not None and result.failure.row["node"] == "a1"


def test_loss_duplication_and_delay_still_decide(tmp_path: Path) -> None:
    run = run_cluster(acceptors=3, duration=2.5, nemesis="loss,duplicate,delay", seed=1,
                      colocated=True, data=tmp_path)
    assert run.summary().decided and run.violations == []
    assert (run.config.drop, run.config.duplicate) == (0.1, 0.1)  # the rates in the windows
    assert run.faults == plan("loss,duplicate,delay", run.config.cluster(), 2.5, 1).windows
    assert {w.kind for w in run.faults if w.start == 0.0} == {"loss", "duplicate", "delay"}
    for event, kind in (("drop", "loss"), ("duplicate", "duplicate")):  # 5 ms: time to log
        assert all(any(w.kind == kind and w.start <= r[0] < w.end + 0.005 for w in run.faults)
                   for r in run.records if r[1] == event and r[7] in ("", "loss"))
    events = {r[1] for r in run.records}
    assert "drop" in events or "duplicate" in events  # both absent: about 1 run in 5,000
    assert validate(run).ok


def test_the_transport_applies_faults_only_inside_their_windows(tmp_path: Path) -> None:
    """In-process: one node's sends at times in and out of a window that loses everything."""
    config = Config(acceptors=3)
    node = NodeRuntime(config, "p1", tmp_path,
                       faults=Faults(windows=(Window("loss", 0.5, 1.0, 1.0),)))
    msg = Prepare("p1", "a1", Ballot(1, 1))
    for ago in (0.2, 0.7, 1.2):  # the run began this long ago: before, in, after the window
        node.t0 = time.monotonic() - ago
        node.send(msg, "")
    os.close(node.events)
    node.store.close()
    lines = [json.loads(x)["row"] for x in (tmp_path / "p1.events").read_text().splitlines()]
    assert [(r[1], r[10]) for r in lines] == [("send", ""), ("send", ""), ("drop", "loss"),
                                              ("send", "")]
    assert Faults(0.1).at("loss", 1e9) == 0.1 and Faults(0.1).at("delay", 0.0) == 0.0


def test_the_plan_draws_windows_and_the_run_keeps_those_within_it() -> None:
    cluster = Config(acceptors=3).cluster()
    p = plan("loss,delay", cluster, 10.0, 5)
    assert p == plan("loss,delay", cluster, 10.0, 5)  # seeded
    for kind in ("loss", "delay"):
        spells = [w for w in p.windows if w.kind == kind]
        assert spells[0].start == 0.0 and len(spells) > 2
        assert all(a.end < b.start for a, b in itertools.pairwise(spells))
        assert spells[-1].end <= 10.0
    cut = p.applied(3.0)
    assert cut and all(w.start < 3.0 and w.end <= 3.0 for w in cut)
    assert max(w.end for w in cut) == 3.0 or not any(w.covers(2.999) for w in p.windows)
    assert str(Window("loss", 0.0, 1.5, 0.1)) == "loss 0.1@0:1.5"


def test_a_partitioned_minority_does_not_stop_the_majority(tmp_path: Path) -> None:
    run = run_cluster(acceptors=3, duration=1.5, partitions=["a1|a2,a3,p1,l1@0:1.5"],
                      data=tmp_path)
    assert run.summary().decided and run.violations == []
    assert any(r[1] == "drop" and r[7] == "partition" for r in run.records)
    assert not any(r[1] == "deliver" and "a1" in (r[2], r[3]) for r in run.records)
    assert validate(run).ok
    # the config shows the partition applied: from when it began, never healed (its planned
    # end is the end of the run, so the supervisor never healed it)
    start = next(r[0] for r in run.records if r[1] == "partition_start")
    assert run.config.partitions == (Partition((("a1",), ("a2", "a3", "p1", "l1")),
                                               round(start, 6), None),)


def test_the_config_of_a_real_run_shows_the_kills_when_they_were_made(tmp_path: Path) -> None:
    run = run_cluster(acceptors=3, duration=2.0, nemesis="kill", seed=4, data=tmp_path)
    crashes = [r[0] for r in run.records if r[1] == "crash"]
    assert len(crashes) >= 2 and run.kills == len(crashes)
    assert [c.at for c in run.config.crashes] == [round(t, 6) for t in crashes]
    planned = plan("kill", run.config.cluster(), 2.0, 4).crashes
    assert [c.node for c in run.config.crashes] == [c.node for c in planned]
    assert all(a.at >= p.at and a.recover is not None and a.recover >= p.recover  # type: ignore[operator]
               for a, p in zip(run.config.crashes, planned, strict=True))


def sent_and_settled(run: Run) -> tuple[set[int], set[int]]:
    """Ids of messages sent or duplicated, and of those delivered or dropped."""
    sent = {r[5] for r in run.records if r[1] in ("send", "duplicate")}
    return sent, {r[5] for r in run.records if r[1] in ("deliver", "drop")}


def test_messages_sent_to_a_down_node_are_recorded_lost(tmp_path: Path) -> None:
    """a1 is down when p1 starts: its Prepare and Accept to a1 reach no process. As in the
    simulator, each shows as sent, then dropped (``crashed``) at a1."""
    run = run_cluster(acceptors=3, duration=2.0, crashes=["a1@0.2:1.2"], start_times=(0.6,),
                      data=tmp_path)
    sent, settled = sent_and_settled(run)
    assert sent == settled  # every message delivered or recorded lost: none vanishes
    lost = [r for r in run.records if r[1] == "drop" and r[7] == "crashed"]
    assert {type(r[4]).__name__ for r in lost} == {"Prepare", "Accept"}
    assert all(r[3] == "a1" for r in lost)
    assert run.summary().decided and run.violations == [] and validate(run).ok


def event(t: float, kind: str, src: str = "", dst: str = "", key: str = "") -> Event:
    return (t, kind, src, dst, Prepare(src, dst, Ballot(1, 1)) if dst else None, -1, -1,
            ""), 1, key, ""


def test_merge_drops_only_undelivered_messages_to_a_node_that_crashed() -> None:
    events = [event(1.0, "send", "p1", "a1", "m1"),  # in a1's buffer when it was killed
              event(1.1, "send", "p1", "a2", "m2"), event(1.2, "deliver", "p1", "a2", "m2"),
              event(2.0, "crash", "a1"),
              event(2.5, "send", "p1", "a1", "m3"),  # a1 down: no process to read it
              event(3.0, "recover", "a1"),
              event(3.5, "send", "p1", "a1", "m4"),  # still in flight at the end
              event(3.6, "send", "p1", "a3", "m5")]  # a3 never crashed: in flight
    lost = lost_in_crashes(events)
    assert [(e[0][0], e[0][1], e[2], e[0][7]) for e in lost] == [
        (2.0, "drop", "m1", "crashed"), (2.5, "drop", "m3", "crashed")]


def promise(acc: str, rnd: int, pid: int) -> tuple[float, str, str, str, Promise, int, int, str]:
    return (0.0, "send", acc, "p1", Promise(acc, "p1", Ballot(rnd, pid), None), 7, -1, "")


def test_the_restart_property_flags_only_promises_below_those_made_before_a_crash() -> None:
    crash = (0.0, "crash", "a1", "", None, -1, -1, "")
    assert restart_violations([promise("a1", 1, 2), promise("a1", 1, 1)]) == []  # one life
    assert restart_violations([promise("a1", 1, 2), crash, promise("a1", 2, 1)]) == []
    assert restart_violations([promise("a2", 1, 2), crash, promise("a2", 1, 1)]) == []
    (v,) = restart_violations([promise("a1", 1, 2), crash, promise("a1", 1, 1)])
    assert v.property == "promises_survive_restart" and v.events == (0, 1, 2)


FORGETFUL = {"acceptors": 3, "proposers": 2, "duration": 2.2, "crashes": ["a1@0.2:0.3"],
             "start_times": (2.0, 0.0)}
"""p2 (ballot 1.2) starts at once and is chosen; a1 is killed at 0.2 and restarted at 0.3;
p1 starts at 2.0 with the lower ballot 1.1. A remembering a1 refuses it; a forgetful one
promises it. Margins: the decision takes 0.005-0.04 s (0.2 allowed); a restart took 0.15-1.1 s
on this 2-core machine at load 9-11 (1.7 allowed). Notebook 07 runs the same schedule."""


def test_restarted_acceptors_are_checked_and_the_forgetful_one_is_caught(
        tmp_path: Path) -> None:
    honest = run_cluster(**FORGETFUL, data=tmp_path / "honest")  # type: ignore[arg-type]
    assert honest.violations == [] and validate(honest).ok
    run = run_cluster(**FORGETFUL, data=tmp_path / "mutant",  # type: ignore[arg-type]
                      mutants=["forget-promise-on-restart"])
    assert [v.property for v in run.violations] == ["promises_survive_restart"]
    assert "a1 sent Promise for ballot 1.1" in str(run.violations[0])
    assert run.report()["violations"] == [str(run.violations[0])]
    verdict = safety_verdict(run)
    assert verdict.loc["promises_survive_restart", "holds"] == "no"
    assert (verdict["holds"] == "no").sum() == 1


def test_the_command_catches_the_forgetful_acceptor_on_the_same_schedule() -> None:
    done = cli("--acceptors", "3", "--proposers", "2", "--crash", "a1@0.2:0.3",
               "--start-times", "2,0", "--duration", "2.2", "--json",
               "--mutant", "forget-promise-on-restart")
    assert done.returncode == 0, done.stderr  # a planted bug: violations expected
    (violation,) = json.loads(done.stdout)["violations"]
    assert violation.startswith("promises_survive_restart: a1 sent Promise for ballot 1.1")


def free_ports(n: int) -> list[int]:
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def test_nodes_started_by_hand_with_peers_decide(tmp_path: Path) -> None:
    """The several-machines mode, on one machine: each node given every address. The
    proposer starts once the others have bound their ports (a learner started after the
    decision would never hear of it: Basic Paxos sends each vote once)."""
    config = Config(acceptors=3, learners=1, timeout=0.5, backoff_base=0.1)
    (tmp_path / "cluster.json").write_text(json.dumps(config.as_dict()))
    names = config.cluster().nodes
    ports = free_ports(len(names))
    peers = ",".join(f"127.0.0.1:{p}" for p in ports)

    def start(name: str, port: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "paxosbook.net.node", "--config",
             str(tmp_path / "cluster.json"), "--name", name, "--port", str(port), "--peers",
             peers, "--data", str(tmp_path), "--duration", "3"],
            env=ENV, stdout=subprocess.PIPE, text=True)

    procs = [start(n, p) for n, p in zip(names, ports, strict=True) if n != "p1"]
    try:
        assert all(json.loads(p.stdout.readline())["port"] for p in procs)  # type: ignore[union-attr]
        procs.append(start("p1", ports[names.index("p1")]))
        codes = [p.wait(timeout=30) for p in procs]
    finally:
        for p in procs:
            p.kill()
            p.communicate()
    assert codes == [0] * len(names)
    run = merged_run(tmp_path, tmp_path / "cluster.json")
    assert run.summary().decided and run.violations == [] and validate(run).ok


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "paxosbook", "cluster", *args], env=ENV,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("args, flag", [
    (["--acceptors", "0"], "--acceptors"), (["--nemesis", "kill,fire"], "--nemesis"),
    (["--duration", "-1"], "--duration"), (["--seed", "x"], "--seed"),
    (["--start-times", "1,x"], "--start-times"), (["--crash", "a9@1"], "--crash"),
])
def test_bad_flags_exit_2_with_one_line(args: list[str], flag: str) -> None:
    done = cli(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and flag in done.stderr


def test_a_used_data_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a1.sqlite").write_text("")
    done = cli("--data", str(tmp_path))
    assert done.returncode == 2 and "--data: must be a new or empty directory" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where", ["file", "under-a-file"])
def test_a_data_directory_that_cannot_be_made_is_refused(tmp_path: Path, where: str) -> None:
    """A file, or a path under a file: one line naming --data, exit 2 (was a traceback)."""
    (tmp_path / "f").write_text("")
    path = tmp_path / "f" if where == "file" else tmp_path / "f" / "sub"
    done = cli("--data", str(path))
    assert done.returncode == 2 and "--data: must be a new or empty directory" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_the_command_leaves_no_process_behind(tmp_path: Path) -> None:
    done = cli("--acceptors", "3", "--proposers", "1", "--colocated", "--duration", "1", "--json",
               "--data", str(tmp_path), "--nemesis", "kill", "--seed", "2")
    assert done.returncode == 0, done.stderr
    assert '"decided": true' in done.stdout and '"violations": []' in done.stdout
    assert processes_naming(str(tmp_path)) == []


def gone(text: str, wait: float) -> bool:
    """Whether every process naming ``text`` exits within ``wait`` seconds."""
    for _ in range(int(wait / 0.1)):
        if not processes_naming(text):
            return True
        time.sleep(0.1)
    return not processes_naming(text)


def interruptible(args: list[str]) -> subprocess.Popen[str]:
    """``python -m paxosbook ARGS`` with pipes, started so that SIGINT interrupts it. A shell
    runs a background job with SIGINT ignored and a child inherits that (Python then installs
    no KeyboardInterrupt, and the test would wait in vain); a signal caught here is reset to
    the default at exec."""
    caught = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        return subprocess.Popen([sys.executable, "-m", "paxosbook", *args], env=ENV,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, caught)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_no_process_outlives_an_interrupted_or_killed_command(tmp_path: Path, sig: int) -> None:
    """SIGINT: the supervisor kills its process group. SIGKILL: it cannot, but every node
    (and the anchor) exits when its control pipe closes."""
    proc = interruptible(["cluster", "--acceptors", "3", "--colocated", "--duration", "60",
                          "--data", str(tmp_path)])
    try:
        for _ in range(300):  # the anchor and three nodes, each naming the data directory
            if len(processes_naming(str(tmp_path))) >= 4:
                break
            time.sleep(0.1)
        assert len(processes_naming(str(tmp_path))) >= 4
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    if sig == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in out
        assert processes_naming(str(tmp_path)) == []
    else:
        assert proc.returncode == -signal.SIGKILL
        assert gone(str(tmp_path), 10.0)


def acceptors_out(p: Plan, acceptors: tuple[str, ...], t: float) -> set[str]:
    """The acceptors down or cut off at time ``t`` under plan ``p``."""
    down = {c.node for c in p.crashes if c.node in acceptors and c.at <= t < c.recover}
    for cut in p.partitions:
        if cut.start <= t < cut.end:
            down |= set(cut.groups[0]) & set(acceptors)
    return down


def test_the_nemesis_plan_is_seeded_and_keeps_a_majority_of_acceptors() -> None:
    cluster = Config(acceptors=5, proposers=2, learners=1).cluster()
    assert plan("kill,partition", cluster, 20, 3) == plan("kill,partition", cluster, 20, 3)
    assert plan("kill,partition", cluster, 20, 3) != plan("kill,partition", cluster, 20, 4)
    worst = 0
    for seed in range(50):
        p = plan("kill,partition", cluster, 20, seed)
        assert p.crashes and p.partitions
        times = [c.at for c in p.crashes] + [c.start for c in p.partitions]
        worst = max(worst, *(len(acceptors_out(p, cluster.acceptors, t)) for t in times))
    assert worst == 2  # a minority of five, reached
    bold = [plan("kill", cluster, 20, seed, allow_majority=True) for seed in range(50)]
    assert max(len(acceptors_out(p, cluster.acceptors, c.at))
               for p in bold for c in p.crashes) > 2


def test_a_colocated_partition_names_each_node_once() -> None:
    """With colocated nodes a proposer is also an acceptor: the side cut off named it twice
    (``n1,n1|n2,...``, seeds 3 and 4 of the kv soak's plan)."""
    cluster = Config(acceptors=5, proposers=2, learners=1, colocated=True).cluster()
    cuts = [p for seed in range(60) for p in plan("partition", cluster, 20, seed).partitions]
    assert len(cuts) > 60
    for cut in cuts:
        names = [n for group in cut.groups for n in group]
        assert len(names) == len(set(names)) == 5, cut


def test_a_node_that_fails_by_itself_is_reported_and_nothing_is_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "python"
    fake.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ]; then echo "boom: node broken" >&2; exit 3; '
                    f'fi\nexec {sys.executable} "$@"\n')
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    with pytest.raises(NodeFailure, match="did not answer: boom: node broken"):
        run_cluster(acceptors=3, duration=1.0, data=tmp_path / "data")
    assert gone(str(tmp_path), 5.0)
