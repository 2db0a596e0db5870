"""Basic Paxos on real processes: one OS process per node, UDP, SQLite, ``kill -9``.

``node`` is one node (one more interpreter of the core's effects), ``store`` its stable
storage, ``wire`` the encodings, ``nemesis`` the fault plan, ``cluster`` the supervisor that
starts the nodes and injects the faults (``run_cluster``), ``live`` the same in a background
thread with kills and restarts by hand (``LiveCluster``), ``run`` the merge of their events
into one ``Run`` (``NetRun``, ``merged_run``).
"""
