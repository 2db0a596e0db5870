"""Traces: the DataFrame, and JSON that round-trips exactly and rejects malformed files."""

from __future__ import annotations

import json

import pytest

from paxosbook import Config, Crash, FormatError, Run, simulate
from paxosbook.trace import COLUMNS, EVENTS

CFG = Config(acceptors=3, proposers=2, drop=0.2, duplicate=0.2, crashes=(Crash("a2", 1.0, 4.0),))


@pytest.fixture(scope="module")
def run() -> Run:
    return simulate(CFG, seed=11)


def test_dataframe_columns_and_types(run):
    df = run.trace
    assert list(df.columns) == [*COLUMNS[:6], "round", *COLUMNS[6:]]
    assert str(df.time.dtype) == "float64" and str(df.msg_id.dtype) == "int64"
    assert set(df.event.astype(str)) <= set(EVENTS)
    assert df.time.is_monotonic_increasing
    assert len(df) == len(run.records)


def test_every_delivery_matches_a_send_and_causes_point_back(run):
    """Catches a simulator that records no delivery or no cause: the subset checks below hold
    on empty sets, so their sets are first required to be non-empty."""
    df = run.trace
    sent = set(df[df.event == "send"].msg_id) | set(df[df.event == "duplicate"].msg_id)
    assert set(df[df.event == "deliver"].msg_id) <= sent
    delivered = set(df[df.event == "deliver"].msg_id)
    caused = df[(df.cause >= 0) & (df.event != "duplicate")]
    assert delivered and len(caused)  # the subset checks are not about empty sets
    assert set(caused.cause) <= delivered


def test_acceptor_events_carry_state_after(run):
    df = run.trace
    accepts = df[df.event == "accept"]
    assert len(accepts) > 0
    assert (accepts.ref_ballot != "").all() and (accepts.value != "").all()


def test_json_round_trip_is_exact(run):
    text = run.to_json()
    again = Run.from_json(text)
    assert again.to_json() == text
    assert again.trace_digest() == run.trace_digest()
    assert again.summary() == run.summary()
    assert again.config == run.config and again.seed == run.seed


def _doc(run):
    return json.loads(run.to_json())


def _mutate(run, path, value):
    doc = _doc(run)
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(doc)


BAD = [
    ("not json", lambda r: "{nope", "not a JSON document"),
    ("not an object", lambda r: "[]", "JSON object"),
    ("wrong schema", lambda r: _mutate(r, ["schema"], "other"), "schema"),
    ("future version", lambda r: _mutate(r, ["version"], 99), "version"),
    ("bad seed", lambda r: _mutate(r, ["seed"], -1), "seed"),
    ("seed 2**63", lambda r: _mutate(r, ["seed"], 2**63), "seed: must be an integer in [0, 2**63)"),
    ("not UTF-8", lambda r: b"\xff" + r.to_json().encode(), "encoding: must be UTF-8"),
    ("nested too deeply", lambda r: "[" * 100_000, "nested too deeply"),
    ("bad config", lambda r: _mutate(r, ["config", "drop"], 3), "drop"),
    ("unknown config field", lambda r: _mutate(r, ["config", "speed"], 3), "speed"),
    ("events not a list", lambda r: _mutate(r, ["events"], {}), "events"),
    ("short row", lambda r: _mutate(r, ["events", 3], [0.0, "send"]), "events[3]"),
    ("bad event", lambda r: _mutate(r, ["events", 2, 1], "explode"), "events[2].event"),
    ("bad time", lambda r: _mutate(r, ["events", 2, 0], "soon"), "events[2].time"),
    ("negative time", lambda r: _mutate(r, ["events", 2, 0], -1), "events[2].time"),
    ("bad message type", lambda r: _mutate(r, ["events", 2, 4], "Hello"), "events[2].msg"),
    ("bad ballot", lambda r: _mutate(r, ["events", 2, 5], "one"), "events[2].ballot"),
    ("bad id", lambda r: _mutate(r, ["events", 2, 8], "7"), "events[2].msg_id"),
]


@pytest.mark.parametrize("name, make, where", BAD, ids=[b[0] for b in BAD])
def test_malformed_files_are_rejected_with_the_place(run, name, make, where):
    with pytest.raises(FormatError) as err:
        Run.from_json(make(run))
    assert where in str(err.value)
