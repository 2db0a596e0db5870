"""Saving and loading sweep results: CSV always, Parquet when pyarrow is installed.

The format follows the file name (``.csv``, ``.csv.gz`` and other compressed CSV, or
``.parquet``/``.pq``). Loading restores every known column's dtype (config fields, summary
figures, ``seed``), so a saved frame loads back equal to the one that was saved; floats survive
CSV exactly. The ``run`` column of a sweep that kept its runs is not saved (save a run with
``Run.to_json``). Files are written to a temporary name and moved into place, so an interrupted
save never leaves half a file.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pandas as pd

from ..core import FormatError, UsageError
from ..core.errors import MissingFileError
from .grid import CONFIG_DTYPES
from .runner import METRIC_DTYPES

DTYPES: dict[str, str] = {**CONFIG_DTYPES, "seed": "int64", **METRIC_DTYPES}
"""dtype of every column a sweep may produce (besides metric functions' own columns)."""

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


def save(results: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``results`` to ``path`` (format by suffix, see module docs) and return the path."""
    fmt = file_format(path)
    target = Path(path)
    frame = results.drop(columns=["run"], errors="ignore")
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")  # same suffix: same format
    try:
        if fmt == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


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
