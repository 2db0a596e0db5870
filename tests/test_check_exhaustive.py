"""The issue's configuration, exhausted: 3 acceptors, 2 proposers with 2 values, one retry each.

Every interleaving of the real ``Proposer``/``Acceptor``/``Learner`` code over a network that may
lose, duplicate and reorder every message, with timers firing at any moment. It was the slowest
test of the suite (about a minute and a half on the 2-core reference machine without partial-
order reduction) because it is the point of the issue: no safety property fails in any of
these states. Sleep sets (``por=True``) skip about two thirds of the successors and no state:
every count below is the one the search without them finds (``benchmarks/bench_por.py``
prints both; ``tests/test_check_por.py`` certifies the reduction on smaller models). The
search runs a level at a time as arrays (``check.actors.vector``), about 16 s here;
``tests/test_check_vector.py`` checks it level by level against the Python loop.
"""

from __future__ import annotations

from paxosbook import Config
from paxosbook.check.actors import ActorModel
from paxosbook.check.engine import explore


def test_three_acceptors_two_proposers_one_retry_each_is_safe() -> None:
    """The verdict is the point; the counts are regression pins (what this checker itself
    found, reduced and raw), not independent figures."""
    config = Config(acceptors=3, proposers=2, values=("add", "jmp"), learners=1,
                    max_attempts=2, backoff="none")
    r = explore(ActorModel(config, network="set"), symmetry=True, por=True)
    assert r.complete and r.ok  # explore also certified the reductions
    assert (r.distinct_states, r.total_states, r.depth) == (1487243, 37225699, 37)
    assert (r.raw_distinct_states, r.raw_total_states) == (8448216, 211833672)
