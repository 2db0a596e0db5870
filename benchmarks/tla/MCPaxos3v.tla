---- MODULE MCPaxos3v ----
\* Lamport's Paxos.tla (tlaplus/Examples, PaxosHowToWinATuringAward) with three acceptors,
\* majority quorums and THREE values; MCPaxos.tla has two. Ballots 0..MaxBallot.
EXTENDS Paxos, TLC

CONSTANT MaxBallot
CONSTANTS a1, a2, a3, v1, v2, v3

MCAcceptor == {a1, a2, a3}
MCValue == {v1, v2, v3}
MCQuorum == {{a1, a2}, {a1, a3}, {a2, a3}}
MCBallot == 0..MaxBallot
====
