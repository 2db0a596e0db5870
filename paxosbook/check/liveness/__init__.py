"""Bounded response after stabilisation: once the network is stable, does every path decide,
and within how many steps?

Theory of operation. Paxos cannot promise to decide (FLP), only to decide once the system
behaves. The question is made exact as a model transformation over the core's own roles:

* The faulty phase is the ``actors`` model on a multiset network: any message may be delivered
  (consumed), dropped (loss, and so partitions), an acceptor may crash and restart from its
  stable storage (``restarts`` times in all), and a timer may fire at any moment. It lasts while
  every proposer has tried at most ``faulty_ballots`` ballots (a step that would start one more
  is not taken in this phase), so it is finite.
* From every reachable state of it that has not decided, the network becomes stable: a
  ``stabilise`` step keeps ``active`` proposers (each choice of them) and stops the others for
  good (their state is dropped, messages to them are lost). From then on the successor relation
  is the stable one: no loss, no crash, no duplication; a delivery consumes its message; a timer
  fires only when no message is in flight (timeouts are longer than a round trip: partial
  synchrony after GST); the active proposers retry at once (no backoff) with no bound on ballots.
* A state has decided when a learner has learned or a proposer knows its proposal was chosen.

The stable system has no bound on ballots, so its states are taken up to renumbering: every
round is shifted so that the least is 1 (``NO_BALLOT``, the minimum, is left alone), attempt
counters are cleared (with no bound and no backoff nothing reads them), storage is cleared (no
restart reads it) and a proposer's dead fields are cleared (``base.view``). Each of these is
exact: the roles only compare ballots, take maxima and add 1. So an endless duel becomes a
cycle, and a cycle found is a real infinite run (shift its ballots and go round again).

The faulty phase itself is explored reduced (``reduce=True``, the default): without drop
steps, each state up to ``view`` (proposer history no step reads) and, with ``symmetry``, up
to renaming the acceptors; the stabilisation points are then those of the drop-free states
with every sub-multiset of their messages dropped. A drop commutes with every step that does
not deliver that copy, so these are exactly the points of the plain search
(``search._reduced_roots`` argues it; the tests compare both on small configurations).

With ``settle=True`` each stable state is explored settled (``settle``): the messages in
flight that no node can act on any more (a stale ``Promise``, a ``Prepare`` below the promise
from a stopped proposer, ...) are taken out and their delivery steps counted on the edge into
the state, and learner votes that can get no more votes are cleared. Exact (the longest run
is the settled state's plus those steps, an endless run stays endless); it merges states that
differed only in stale messages or in the least round those pinned. Settling's conditions
restate the handlers' logic, so what it relied on is recorded and checked after the search
with the real handlers (``certify``); if that fails the search runs again without settling
and ``Response.settle_failed`` says why.

The bound is then a graph question, answered without any depth bound: Tarjan's algorithm finds
the strongly connected components of the stable graph. A cycle among undecided states, or an
undecided state with no step, means no bound (``Response.lasso``: the path to it, then the
cycle, as named actions). Otherwise the undecided states form a DAG and the least ``k`` is its
longest path to a decided state, from the worst stabilisation point (``Response.worst``).

The package: ``system`` (the two successor relations), ``renumber`` (rounds up to a shift),
``settle`` (inert messages and frozen votes out), ``certify`` (settle's certificate),
``graph`` (Tarjan's SCCs, longest path to a decision, a shortest cycle), ``lasso`` (the
results, a path told as a ``Run``), ``search`` (``bounded_response``).
"""

from .graph import Bound, cycle_through, longest_to_decision, strongly_connected
from .lasso import Lasso, Response
from .search import LIMITS, MAX_STATES, bounded_response
from .system import URGENCY, State, System

__all__ = ["LIMITS", "MAX_STATES", "URGENCY", "Bound", "Lasso", "Response", "State", "System",
           "bounded_response", "cycle_through", "longest_to_decision", "strongly_connected"]
