"""Saving and loading sweep results: CSV always, Parquet when pyarrow is installed.

The format follows the file name (``.csv``, ``.csv.gz`` and other compressed CSV, or
``.parquet``/``.pq``). Loading restores every known column's dtype (config fields, summary
figures, ``seed``), so a saved frame loads back equal to the one that was saved; floats survive
CSV exactly. The ``run`` column of a sweep that kept its runs is not saved (save a run with
``Run.to_json``). Files are written to a temporary name and moved into place, so an interrupted
save never leaves half a file.

Next to a sweep's results file ``FILE`` a JSON record, ``FILE.sweep.json`` (``meta_path``),
says what produced it (grid, fixed config fields, metrics: see ``record``), so that resuming it
with another configuration is refused instead of mixing rows of two configurations.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import FormatError, UsageError
from ..core.errors import MissingFileError
from .grid import CONFIG_DTYPES
from .runner import METRIC_DTYPES

DTYPES: dict[str, str] = {**CONFIG_DTYPES, "seed": "int64", **METRIC_DTYPES,
                          "valid": "bool", "rejected_at": "Int64"}
"""dtype of every column a sweep may produce (besides metric functions' own columns;
``valid`` and ``rejected_at`` are ``sweep(validate=True)``'s)."""

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst", ".csv.zip")
PARQUET_SUFFIXES = (".parquet", ".pq")


def parquet_available() -> bool:
    return importlib.util.find_spec("pyarrow") is not None


def file_format(path: str | os.PathLike[str], field: str = "path") -> str:
    """``"csv"`` or ``"parquet"`` by the file name; ``UsageError`` (naming ``field``) for
    anything else, or for Parquet without pyarrow."""
    name = os.fspath(path).lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        if not parquet_available():
            raise UsageError(field, "a .csv file (Parquet needs pyarrow: pip install pyarrow)",
                             os.fspath(path))
        return "parquet"
    raise UsageError(field, "a file named *.csv (or *.csv.gz, ...) or *.parquet",
                     os.fspath(path))


def coerce(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with every known column in its dtype (in place; returns ``df``)."""
    for column in df.columns:
        dtype = DTYPES.get(str(column))
        if dtype is not None and str(df[column].dtype) != dtype:
            df[column] = df[column].astype(dtype)  # type: ignore[call-overload]
    return df


def check_writable(path: str | os.PathLike[str], field: str = "out") -> None:
    """``UsageError`` (naming ``field``) unless a file can be written at ``path``: its folder
    exists and takes a new file (tried with a temporary one), and ``path`` is not a folder."""
    target = Path(path)
    if target.is_dir():
        raise UsageError(field, "a file path, not a folder", os.fspath(path))
    try:
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".paxosbook-", suffix=".tmp"):
            pass
    except OSError as exc:
        raise UsageError(field, "a file in an existing, writable folder",
                         f"{os.fspath(path)} ({exc.strerror})") from None


def _replace(target: Path, write: Callable[[Path], object]) -> Path:
    """``write`` a temporary file beside ``target`` (same suffix), then move it into place."""
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def save(results: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``results`` to ``path`` (format by suffix, see module docs) and return the path;
    the record of the sweep that made them (``results.attrs["sweep"]``) goes beside it
    (``meta_path``), and a record left there by other results is removed."""
    fmt = file_format(path)
    frame = results.drop(columns=["run"], errors="ignore")
    if fmt == "csv":
        _replace(Path(path), lambda tmp: frame.to_csv(tmp, index=False))
    else:
        _replace(Path(path), lambda tmp: frame.to_parquet(tmp, index=False))
    made_by = results.attrs.get(RECORD_ATTR)
    if isinstance(made_by, str):
        _replace(meta_path(path), lambda tmp: tmp.write_text(made_by, encoding="utf-8"))
    else:
        meta_path(path).unlink(missing_ok=True)
    return Path(path)


META_SUFFIX, META_SCHEMA = ".sweep.json", "paxosbook.sweep"
RECORD_ATTR = "sweep"
"""The key of a sweep's ``DataFrame.attrs`` holding (as JSON text, cheap to copy) the record of
what made it."""


def meta_path(path: str | os.PathLike[str]) -> Path:
    """Where the record of what produced the results file ``path`` is kept."""
    return Path(os.fspath(path) + META_SUFFIX)


def load_meta(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The record of the results file ``path`` (``None`` if there is none: a file saved
    before records were kept, or copied without its record); ``FormatError`` if malformed."""
    where = meta_path(path)
    if not where.exists():
        return None
    try:
        doc = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise FormatError(f"{where}: not a sweep record: {exc}") from None
    if not isinstance(doc, dict) or doc.get("schema") != META_SCHEMA:
        raise FormatError(f"{where}: schema: must be {META_SCHEMA!r}")
    return doc


def load(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read results saved by ``save`` (or any CSV/Parquet of sweep rows), dtypes restored.

    A missing file raises ``MissingFileError`` (a ``FileNotFoundError``); an unreadable one
    ``FormatError``.
    """
    fmt = file_format(path)
    target = Path(path)
    if not target.exists():
        raise MissingFileError("path", "an existing results file", os.fspath(path))
    try:
        if fmt == "csv":
            df = pd.read_csv(target, keep_default_na=False, na_values=[""])
        else:
            df = pd.read_parquet(target)
        return coerce(df)
    except (ValueError, TypeError, OSError, pd.errors.ParserError) as exc:
        raise FormatError(f"{os.fspath(path)}: not a results file: {exc}") from None
