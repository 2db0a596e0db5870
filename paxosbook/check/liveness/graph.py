"""The graph questions of bounded response, on any finite graph (node -> successors).

Tarjan's strongly connected components (iterative, reverse topological order); the longest
path to a decided node, or a node that shows no bound exists (a cycle of undecided nodes, or
an undecided dead end); a shortest cycle through a node. No depth bound anywhere: a cycle
however deep is found.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

N = TypeVar("N", bound=Hashable)


def strongly_connected(graph: Mapping[N, Sequence[N]]) -> list[list[N]]:
    """Tarjan's strongly connected components of ``graph`` (node -> successors; every
    successor is a key), iteratively, in reverse topological order: a component comes after
    every component it reaches."""
    index: dict[N, int] = {}
    low: dict[N, int] = {}
    on_stack: set[N] = set()
    stack: list[N] = []
    out: list[list[N]] = []
    for root in graph:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(graph[root]))]
        while work:
            node, succ = work[-1]
            for t in succ:
                if t not in index:
                    index[t] = low[t] = len(index)
                    stack.append(t)
                    on_stack.add(t)
                    work.append((t, iter(graph[t])))
                    break
                if t in on_stack:
                    low[node] = min(low[node], index[t])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on_stack.discard(x)
                        comp.append(x)
                        if x == node:
                            break
                    out.append(comp)
    return out


@dataclass
class Bound:
    """``longest``: for each node, the most steps before a decided node (all nodes, when
    ``stuck`` is None); ``stuck``: a node on a cycle of undecided nodes, or an undecided node
    with no successor, when there is one."""

    longest: dict[Any, int]
    stuck: Any = None
    cyclic: bool = False


def longest_to_decision(graph: Mapping[N, Sequence[N]], decided: set[N]) -> Bound:
    """Every path from a node reaches ``decided`` within ``longest[node]`` steps, or a cycle
    (or a dead end) among undecided nodes shows that no bound exists. Decided nodes count as
    ends: their successors are not followed."""
    cut = {n: ([] if n in decided else succ) for n, succ in graph.items()}
    longest: dict[N, int] = {}
    for comp in strongly_connected(cut):
        node = comp[0]
        if len(comp) > 1 or node in cut[node]:
            return Bound(longest, node, True)
        if node in decided:
            longest[node] = 0
        elif not cut[node]:
            return Bound(longest, node, False)
        else:
            longest[node] = 1 + max(longest[t] for t in cut[node])
    return Bound(longest)


def cycle_through(graph: Mapping[N, Sequence[N]], node: N) -> list[N]:
    """A shortest cycle from ``node`` back to it (``node`` first and last)."""
    parents: dict[N, N] = {}
    frontier = [node]
    while frontier:
        nxt = []
        for s in frontier:
            for t in graph[s]:
                if t == node:
                    back = []
                    while s != node:
                        back.append(s)
                        s = parents[s]
                    return [node, *reversed(back), node]
                if t not in parents:
                    parents[t] = s
                    nxt.append(t)
        frontier = nxt
    raise ValueError("no cycle through this node")
