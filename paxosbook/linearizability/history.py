"""Histories of concurrent operations, read from Jepsen's logs, EDN maps or JSON lines.

A history is what clients saw: each operation was invoked at some point and then completed
with ``ok`` (it happened, with this result), ``fail`` (it did not happen) or ``info`` (the
client timed out: it may have happened at any point after its invocation, or never). An
invocation with no completion at the end of the file is an ``info`` too. Time is the order of
the lines: operation *a* precedes *b* when *a*'s completion line comes before *b*'s invocation
line (real time is not needed, only that order).

Three line formats are read (the first non-blank line decides; see
``../shared/histories/README.md``):

- Jepsen's log: ``INFO  jepsen.util - PROCESS  :TYPE  :F  VALUE`` (a single register: ``read``,
  ``write``, ``cas`` with value ``[expected new]``; a read's value is ``nil`` on invoke);
- EDN maps, one per line: ``{:process 0, :type :invoke, :f :append, :key "0", :value "x"}``;
- JSON lines with the same keys: ``{"process": 0, "type": "invoke", "f": "put", "key": "k",
  "value": "v"}`` (what ``paxosbook kv --history`` writes).

Every malformed line is a ``FormatError`` naming its line number.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import FormatError

__all__ = ["FORMATS", "MAX_HISTORY_BYTES", "History", "Operation", "parse_history",
           "read_history"]

MAX_HISTORY_BYTES = 64 * 2**20
"""Largest history file read; a bigger one is refused unread."""
FORMATS = ("jepsen", "edn", "json")
TYPES = ("invoke", "ok", "fail", "info")
NEVER = math.inf
"""The completion time of an operation that may take effect at any time after its call."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: who, what, with which argument and result, and when.

    ``call`` and ``ret`` are event positions (line order); ``ret`` is ``NEVER`` for an ``info``
    operation. ``value`` is the argument (a write's value, ``(expected, new)`` for a cas, an
    append's suffix) and ``output`` the result (a read's value; ``None`` when unknown).
    """

    id: int
    process: Hashable
    f: str
    key: Hashable
    value: Any
    output: Any
    status: str
    call: float
    ret: float
    line: int

    @property
    def label(self) -> str:
        key = "" if self.key is None else f"[{self.key}]"
        if self.f in ("read", "get"):
            shown = "?" if self.status != "ok" else _show(self.output)
            return f"{self.f}{key} → {shown}"
        if self.f == "cas":
            old, new = self.value
            result = {"ok": "", "fail": " ✗", "info": " ?"}[self.status]
            return f"cas{key} {_show(old)}→{_show(new)}{result}"
        return f"{self.f}{key} {_show(self.value)}" + (" ?" if self.status == "info" else "")


def _show(v: Any) -> str:
    return "nil" if v is None else repr(v) if isinstance(v, str) else str(v)


@dataclass
class History:
    """Operations in order of invocation, and the format they were read from."""

    operations: list[Operation]
    format: str = "json"
    events: int = field(default=0)

    def __len__(self) -> int:
        return len(self.operations)

    def by_key(self) -> dict[Hashable, list[Operation]]:
        """The operations on each key, in order of invocation (P-compositionality)."""
        parts: dict[Hashable, list[Operation]] = {}
        for op in self.operations:
            parts.setdefault(op.key, []).append(op)
        return parts


def read_history(path: str | Path) -> History:
    """Read a history file (``OSError`` if it cannot be read, ``FormatError`` if malformed)."""
    p = Path(path)
    size = p.stat().st_size
    if size > MAX_HISTORY_BYTES:
        raise FormatError(f"size: must be at most {MAX_HISTORY_BYTES // 2**20} MiB; got "
                          f"{size / 2**20:.0f} MiB")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"encoding: must be UTF-8 text; got byte {exc.object[exc.start]:#04x} "
                          f"at offset {exc.start}") from None
    return parse_history(text)


def parse_history(text: str | Iterable[str]) -> History:
    """Parse history lines in any of ``FORMATS``, detected from the first non-blank line."""
    lines = text.splitlines() if isinstance(text, str) else list(text)
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise FormatError("history: must have at least one operation; got an empty file")
    first = numbered[0][1]
    fmt = "jepsen" if first.startswith("INFO") else "json" if first.startswith('{"') else "edn"
    parse_line = {"jepsen": _jepsen_line, "edn": _edn_line, "json": _json_line}[fmt]
    builder = _Builder(fmt)
    for number, line in numbered:
        try:
            builder.add(number, *parse_line(line))
        except FormatError as exc:
            raise FormatError(f"line {number}: {exc}") from None
    return builder.finish()


# -- one event per line --------------------------------------------------------------------
Event = tuple[Hashable, str, str, Hashable, Any]  # process, type, f, key, value

_JEPSEN = re.compile(r"^INFO\s+jepsen\.util\s+-\s+(\S+)\s+:(\w+)\s+:(\w+)\s+(.*?)\s*$")


def _jepsen_line(line: str) -> Event:
    m = _JEPSEN.match(line)
    if not m:
        raise FormatError("must be `INFO  jepsen.util - PROCESS :TYPE :F VALUE`; got "
                          f"{line[:60]!r}")
    process, kind, f, value = m.groups()
    return _process(process), kind, f, None, _edn_value(value)


def _json_line(line: str) -> Event:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        raise FormatError(f"must be one JSON object; got {line[:60]!r}") from None
    return _fields(obj)


def _edn_line(line: str) -> Event:
    if not (line.startswith("{") and line.endswith("}")):
        raise FormatError(f"must be one EDN map {{:process .., :type .., :f ..}}; got "
                          f"{line[:60]!r}")
    tokens = _EDN_TOKEN.findall(line[1:-1])
    if "".join(tokens).replace(",", "").strip() == "" and line[1:-1].strip():
        raise FormatError(f"must be an EDN map of keywords to values; got {line[:60]!r}")
    items = [t for t in tokens if t.strip(", \t")]
    if len(items) % 2:
        raise FormatError(f"an EDN map needs key value pairs; got {line[:60]!r}")
    obj: dict[str, Any] = {}
    for k, v in zip(items[::2], items[1::2], strict=True):
        if not k.startswith(":"):
            raise FormatError(f"EDN map keys must be keywords like :process; got {k!r}")
        obj[k[1:]] = _edn_value(v)
    return _fields(obj)


_EDN_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s,]+|[\s,]+')


def _edn_value(text: str) -> Any:
    """``nil``, integers, strings, keywords (``:timed-out`` as the str ``:timed-out``),
    and vectors of those (as tuples)."""
    text = text.strip()
    if text == "nil" or text == "":
        return None
    if text.startswith('"'):
        try:
            return json.loads(text)
        except ValueError:
            raise FormatError(f"bad string {text[:40]!r}") from None
    if text.startswith("["):
        if not text.endswith("]"):
            raise FormatError(f"bad vector {text[:40]!r}")
        return tuple(_edn_value(t) for t in _EDN_TOKEN.findall(text[1:-1])
                     if t.strip(", \t"))
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith(":"):
        return text
    raise FormatError(f"value: must be nil, an integer, a \"string\", a :keyword or a vector; "
                      f"got {text[:40]!r}")


def _fields(obj: Any) -> Event:
    if not isinstance(obj, dict):
        raise FormatError(f"must be a map; got {type(obj).__name__}")
    missing = [k for k in ("process", "type", "f") if k not in obj]
    if missing:
        raise FormatError(f"{missing[0]}: must be present; got a map without it")
    kind, f = (str(obj[k]).lstrip(":") for k in ("type", "f"))
    key = obj.get("key")
    if isinstance(key, list):
        key = tuple(key)
    value = obj.get("value")
    if isinstance(value, list):
        value = tuple(value)
    return _process(obj["process"]), kind, f, key, value


def _process(p: Any) -> Hashable:
    if isinstance(p, str) and re.fullmatch(r"-?\d+", p):
        return int(p)
    if isinstance(p, (int, str)) and not isinstance(p, bool):
        return p
    raise FormatError(f"process: must be an integer or a name; got {p!r}")


# -- pairing invocations with completions ---------------------------------------------------
@dataclass
class _Open:
    id: int
    f: str
    key: Hashable
    value: Any
    call: int
    line: int


class _Builder:
    def __init__(self, fmt: str) -> None:
        self.format = fmt
        self.open: dict[Hashable, _Open] = {}
        self.done: dict[int, Operation] = {}
        self.time = 0

    def add(self, line: int, process: Hashable, kind: str, f: str, key: Hashable,
            value: Any) -> None:
        if kind not in TYPES:
            raise FormatError(f"type: must be one of :{', :'.join(TYPES)}; got {kind!r}")
        self.time += 1
        if kind == "invoke":
            if process in self.open:
                prev = self.open[process]
                raise FormatError(f"process {process!r} invokes {f} while its {prev.f} of line "
                                  f"{prev.line} has not completed")
            self.open[process] = _Open(len(self.open) + len(self.done), f, key, value,
                                       self.time, line)
            return
        inv = self.open.pop(process, None)
        if inv is None:
            raise FormatError(f"process {process!r} completes {f} ({kind}) but invoked nothing")
        if inv.f != f:
            raise FormatError(f"process {process!r} completes {f} but invoked {inv.f} at line "
                              f"{inv.line}")
        self.done[inv.id] = self._operation(inv, process, kind, value)

    def _operation(self, inv: _Open, process: Hashable, kind: str, value: Any) -> Operation:
        info = kind == "info"
        reads = inv.f in ("read", "get")
        output = value if reads and kind == "ok" else None
        if self.format == "jepsen" and reads and kind == "ok" and value is None:
            output = None  # a register read of nil: not yet written
        if inv.f == "cas" and not (isinstance(inv.value, tuple) and len(inv.value) == 2):
            raise FormatError(f"cas value: must be [expected new]; got {inv.value!r}")
        return Operation(inv.id, process, inv.f, inv.key, inv.value, output, kind, inv.call,
                         NEVER if info else self.time, inv.line)

    def finish(self) -> History:
        for process, inv in self.open.items():  # never completed: indeterminate
            self.done[inv.id] = self._operation(inv, process, "info", None)
        ops = [self.done[i] for i in sorted(self.done)]
        return History(ops, self.format, self.time)
