"""Where the tasks of a sweep run: in this process, on a process pool, or on a Dask cluster.

Each executor is a generator of finished tasks (``Done``) in whatever order they finish; the
sweep sorts the rows afterwards, so the result never depends on the executor or the chunking.
A ``KeyboardInterrupt`` raised while waiting leaves the generator through its ``finally``,
which cancels what has not started (pool workers ignore SIGINT, so only the sweep sees it).

Dask is optional (``pip install "paxosbook[dask]"``) and imported only when asked for. Dask
workers on other machines need paxosbook installed.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from ..core import UsageError
from .runner import Done, Task, run_task

EXECUTORS = ("local", "process", "dask")
CONNECT_TIMEOUT = 10
"""Seconds to wait for a Dask scheduler given by address."""
DASK_HINT = ('local, process or dask[:ADDRESS] (dask is not installed: '
             'pip install "paxosbook[dask]")')


def dask_available() -> bool:
    """True when ``dask.distributed`` can be imported."""
    return importlib.util.find_spec("distributed") is not None


def parse_executor(executor: str, client: Any = None) -> tuple[str, Any]:
    """``(kind, client)``: ``"dask:ADDRESS"`` becomes ``("dask", "ADDRESS")``."""
    if not isinstance(executor, str):
        raise UsageError("executor", "local, process or dask[:ADDRESS]", executor)
    kind, colon, address = executor.partition(":")
    if kind not in EXECUTORS or (colon and (kind != "dask" or not address)):
        raise UsageError("executor", "local, process or dask[:ADDRESS]", executor)
    if kind == "dask":
        if not dask_available():
            raise UsageError("executor", DASK_HINT, executor)
        if address and client is not None:
            raise UsageError("client", "None when the executor names an address", client)
        return kind, address or client
    if client is not None:
        raise UsageError("client", "given only with executor='dask'", client)
    return kind, None


@dataclass(frozen=True)
class Backend:
    """An executor ready to use: ``run(tasks)`` yields each ``Done`` as it finishes;
    ``parallelism`` is how many tasks it runs at once (for choosing the chunk size)."""

    run: Callable[[Sequence[Task]], Iterator[Done]]
    parallelism: int


@contextmanager
def executor_for(kind: str, *, workers: int, client: Any = None) -> Iterator[Backend]:
    """Set up the executor (connect to Dask, or start a local cluster) and tear it down on
    exit; the process pool lives for one ``run``."""
    if kind == "local":
        yield Backend(lambda tasks: (run_task(t) for t in tasks), 1)
    elif kind == "process":
        yield Backend(lambda tasks: _pool(tasks, workers), workers)
    else:
        from distributed import Client, default_client

        with _dask_client(client, workers, Client, default_client) as dc:
            threads = sum(w.get("nthreads", 1)
                          for w in dc.scheduler_info().get("workers", {}).values())
            yield Backend(lambda tasks: _dask(tasks, dc), max(1, threads))


# -- process pool -------------------------------------------------------------------------------
def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _mp_context() -> Any:
    # fork where it is the platform's default (Linux up to Python 3.13): metric functions
    # defined in a notebook then reach the workers. Elsewhere the platform default.
    if sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _pool(tasks: Sequence[Task], workers: int) -> Iterator[Done]:
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=_mp_context(),
                               initializer=_ignore_sigint)
    futures = [pool.submit(run_task, t) for t in tasks]
    finished = False
    try:
        for future in as_completed(futures):
            yield future.result()
        finished = True
    finally:
        if not finished:  # interrupt or error: drop the queued tasks, let running ones end
            for future in futures:
                future.cancel()  # (not shutdown's cancel_futures: it needs the pool alive)
        pool.shutdown(wait=finished)


# -- Dask ------------------------------------------------------------------------------------------
@contextmanager
def local_dask(workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` on a fresh ``LocalCluster`` of ``workers`` single-threaded
    processes (default: all cores), closed on exit. Its dashboard is ``client.dashboard_link``
    (the dashboard itself needs bokeh; on Binder the link goes through jupyter-server-proxy)."""
    if not dask_available():
        raise UsageError("executor", DASK_HINT, "dask")
    import warnings

    from distributed import Client, LocalCluster

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "bokeh not installed", port already in use, ...
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1,
                               processes=True, dashboard_address=":0")
    client = Client(cluster)
    try:
        with _dashboard_through_proxy():
            yield client
    finally:
        client.close()
        cluster.close()


DASHBOARD_PROXY_LINK = "{JUPYTERHUB_SERVICE_PREFIX}proxy/{port}/status"
"""The dashboard's address through jupyter-server-proxy on a JupyterHub (Binder)."""


@contextmanager
def _dashboard_through_proxy() -> Iterator[None]:
    """On a JupyterHub (``JUPYTERHUB_SERVICE_PREFIX`` set, as on Binder) the reader's browser
    cannot reach the cluster's 127.0.0.1: make ``dashboard_link`` go through the server's
    proxy meanwhile. Elsewhere Dask's own link is kept."""
    if not os.environ.get("JUPYTERHUB_SERVICE_PREFIX"):
        yield
        return
    import dask

    with dask.config.set({"distributed.dashboard.link": DASHBOARD_PROXY_LINK}):
        yield


def _dask(tasks: Sequence[Task], client: Any) -> Iterator[Done]:
    from distributed import as_completed

    futures = client.map(run_task, list(tasks), pure=False)
    try:
        for future in as_completed(futures):
            yield future.result()
            future.release()
    finally:
        client.cancel(futures)


@contextmanager
def _dask_client(client: Any, workers: int, client_cls: Any, default: Any) -> Iterator[Any]:
    if isinstance(client, client_cls):
        yield client
        return
    if isinstance(client, str):
        try:
            owned = client_cls(client, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise UsageError("executor", "dask:ADDRESS with a reachable Dask scheduler",
                             f"{client} ({exc})") from None
        with owned:
            yield owned
        return
    if client is not None:
        raise UsageError("client", "a distributed.Client, a scheduler address or None", client)
    try:
        existing = default()
    except ValueError:  # no client yet: start a local cluster for this sweep
        existing = None
    if existing is not None:
        yield existing
        return
    with local_dask(workers) as owned:
        yield owned
