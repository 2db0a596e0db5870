---- MODULE MCPaxos4a ----
\* Lamport's Paxos.tla (tlaplus/Examples, PaxosHowToWinATuringAward) with FOUR acceptors,
\* majority quorums (any three) and two values. Ballots 0..MaxBallot.
EXTENDS Paxos, TLC

CONSTANT MaxBallot
CONSTANTS a1, a2, a3, a4, v1, v2

MCAcceptor == {a1, a2, a3, a4}
MCValue == {v1, v2}
MCQuorum == {{a1, a2, a3}, {a1, a2, a4}, {a1, a3, a4}, {a2, a3, a4}}
MCBallot == 0..MaxBallot
====
