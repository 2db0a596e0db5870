"""Field checks shared by ``Network``, ``Config`` and ``LogConfig``.

Each raises ``UsageError`` naming the field, the allowed range and the value given, the one
form of a bad-input error everywhere (config, CLI, file import, widget).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .core.errors import UsageError

MAX_SEED = 2**63
"""Seeds are integers in ``[0, MAX_SEED)``: they fit the int64 ``seed`` column of a sweep."""


def check_seed(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_SEED:
        raise UsageError(name, "an integer in [0, 2**63)", value)


def check_list(name: str, value: Any) -> None:
    """Raise ``UsageError`` unless ``value`` is a list-like (a string or a mapping is not)."""
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise UsageError(name, "a list", value)


def check_names(name: str, value: Any) -> None:
    """Raise ``UsageError`` unless ``value`` is a list of strings (node names)."""
    check_list(name, value)
    for item in value:
        if not isinstance(item, str):
            raise UsageError(name, "node names (strings)", item)


def check_int(name: str, value: Any, lo: int, hi: int, *, why: str = "") -> None:
    """``why``: what sets the bound, said in brackets after the range."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(name, f"an integer in [{lo}, {hi}]" + (f" ({why})" if why else ""),
                         value)


def check_number(name: str, value: Any, lo: float, hi: float, *, open_lo: bool = False,
                 open_hi: bool = False) -> None:
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and not math.isnan(value) and (lo < value if open_lo else lo <= value)
          and (value < hi if open_hi else value <= hi))
    if not ok:
        left, right = "(" if open_lo else "[", ")" if open_hi else "]"
        raise UsageError(name, f"a number in {left}{lo:g}, {hi:g}{right}", value)


def check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UsageError(name, "one of " + ", ".join(allowed), value)


def check_bool(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise UsageError(name, "true or false", value)
