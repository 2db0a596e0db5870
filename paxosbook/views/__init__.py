"""Plotly figures and tables built from a trace: see a run instead of reading it.

Every view is a pure function of a trace (``Run.trace``, or the ``Run`` itself) and, where it
makes sense, a moment ``time``; none of them runs a simulation. Pass ``cluster=`` to fix the
roles and quorums when giving a bare DataFrame (a ``Run`` brings its own).

* ``sequence_diagram(trace, time=None, title="")``: the message sequence diagram.
* ``network_graph(trace, time=None)``: nodes, links and each node's state at ``time``.
* ``state_table(trace, time=None)`` / ``styled_state_table`` / ``state_html``: that state as a
  table.
* ``ballot_timeline(trace)``: ballots against time per proposer (dueling proposers).
* ``narrate(trace, start, stop)``: the events as sentences; ``safety_verdict(run)``.
* ``rejection_diagram(run)``, ``mark_event(fig, run, index, text)``: the event trace
  validation rejected, drawn on the sequence diagram with the conjunct it breaks.
* ``replica_log(runs)``, ``slot_sequence(run, slot)``: the replicated log's replicas x slots
  grid and one slot's sequence diagram.
"""

from .ballots import ballot_timeline
from .frames import TraceLike, messages, roles_of
from .log import replica_log, slot_sequence
from .narrate import describe, narrate
from .network import network_graph, node_positions
from .refinement import mark_event, rejection_diagram
from .sequence import GL_THRESHOLD, sequence_diagram
from .state import STATE_COLUMNS, state_html, state_table, style_state, styled_state_table
from .style import register_template
from .verdict import safety_verdict

register_template()

__all__ = ["GL_THRESHOLD", "STATE_COLUMNS", "TraceLike", "ballot_timeline", "describe",
           "mark_event", "messages", "narrate", "network_graph", "node_positions",
           "rejection_diagram", "replica_log", "roles_of",
           "safety_verdict", "sequence_diagram", "slot_sequence", "state_html", "state_table",
           "style_state", "styled_state_table"]
