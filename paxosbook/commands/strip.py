"""``paxosbook strip-outputs [FILE ...]``: keep notebooks stored without outputs.

Running a notebook in JupyterLab fills it with outputs, and autosave writes them to disk. This
command takes them out again: every code cell loses its outputs and execution count, cells lose
the metadata a run or an editor adds (``execution``, ``ExecuteTime``, ``collapsed``,
``scrolled``, ``trusted``), the notebook loses saved widget state and its signature, and its
``language_info`` keeps only the language's name (the rest describes the reader's Python).

The result is written exactly as ``nbformat.write`` writes a notebook (JSON indented by one
space, keys sorted, non-ASCII characters as they are, text split into lines, a final newline),
so stripping a notebook that is already clean changes no byte. Only the standard library is
used: the command works as a git clean filter without the notebook extra.

- ``paxosbook strip-outputs FILE ...`` rewrites the files that change, in place;
- ``--stdin`` reads one notebook on stdin and writes it stripped on stdout (the git filter the
  README configures, ``.gitattributes`` names it);
- ``--check`` changes nothing, names each notebook that would change and exits 1 if any would.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..core import FormatError
from .args import fail

CELL_KEYS = ("execution", "ExecuteTime", "collapsed", "scrolled", "trusted")
"""Cell metadata that records a run or a view, not the notebook."""
NOTEBOOK_KEYS = ("widgets", "signature", "orig_nbformat", "orig_nbformat_minor")
"""Notebook metadata that records a run (widget state) or a reader's trust, not the notebook."""
_SPLIT_MIMES = ("application/javascript", "image/svg+xml")  # split like text/* (nbformat)


def add_parser(sub: Any) -> None:
    p = sub.add_parser("strip-outputs", help="clear notebook outputs (in place, or as a filter)",
                       description="Clear the outputs, execution counts and run metadata of "
                                   "notebooks, in place or from stdin to stdout.")
    p.add_argument("files", nargs="*", metavar="FILE", help="notebooks to strip in place")
    p.add_argument("--stdin", action="store_true",
                   help="read one notebook on stdin, write it stripped on stdout (git filter)")
    p.add_argument("--check", action="store_true",
                   help="change nothing; name the notebooks that would change, exit 1 if any")
    p.set_defaults(main=main)


def strip_outputs(text: str) -> str:
    """The notebook in ``text`` without outputs, in nbformat's file format."""
    try:
        nb = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not a notebook: invalid JSON ({exc})") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list) \
            or not all(isinstance(c, dict) for c in nb["cells"]):
        raise FormatError("not a notebook: no list of cells")
    _strip_metadata(nb, NOTEBOOK_KEYS)
    metadata = nb.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("language_info"), dict) \
            and "name" in metadata["language_info"]:
        metadata["language_info"] = {"name": metadata["language_info"]["name"]}
    for cell in nb["cells"]:
        _strip_cell(cell)
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False,
                      separators=(",", ": ")) + "\n"


def cells_with_outputs(text: str) -> list[int]:
    """Indices of the code cells in the notebook ``text`` that have outputs or a count."""
    return [i for i, c in enumerate(json.loads(text)["cells"])
            if c.get("cell_type") == "code" and (c.get("outputs") or c.get("execution_count"))]


def _strip_metadata(node: dict[str, Any], keys: tuple[str, ...]) -> None:
    metadata = node.get("metadata")
    if isinstance(metadata, dict):
        for key in keys:
            metadata.pop(key, None)


def _strip_cell(cell: dict[str, Any]) -> None:
    _strip_metadata(cell, CELL_KEYS)
    if cell.get("cell_type") == "code":
        cell["outputs"] = []
        cell["execution_count"] = None
    if "source" in cell:
        if not _is_text(cell["source"]):
            raise FormatError("not a notebook: a cell's source is not text")
        cell["source"] = _lines(cell["source"])
    attachments = cell.get("attachments") or {}
    if not isinstance(attachments, dict) or not all(isinstance(b, dict)
                                                    for b in attachments.values()):
        raise FormatError("not a notebook: a cell's attachments are not a mapping")
    for bundle in attachments.values():
        for mime, value in bundle.items():
            if _is_text(value) and not _is_json_mime(mime):
                split = mime.startswith("text/") or mime in _SPLIT_MIMES
                bundle[mime] = _lines(value) if split else "".join(value)


def _is_text(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, list)
                                      and all(isinstance(s, str) for s in value))


def _is_json_mime(mime: str) -> bool:
    return mime == "application/json" or (mime.startswith("application/")
                                          and mime.endswith("+json"))


def _lines(value: str | list[str]) -> list[str]:
    """Text as nbformat stores it: a list of lines, each with its line ending."""
    return "".join(value).splitlines(True)


def main(args: argparse.Namespace) -> int:
    if args.stdin:
        if args.files:
            fail(f"paxosbook strip-outputs: FILE: must be none with --stdin; got {args.files}")
        return _filter(args.check)
    if not args.files:
        fail("paxosbook strip-outputs: FILE: must be one or more notebooks (or --stdin); "
             "got none")
    changed = [path for path, raw, text in _stripped(args.files)
               if _changes(path, raw, text, args.check)]
    return 1 if args.check and changed else 0


def _filter(check: bool) -> int:
    raw = sys.stdin.buffer.read()
    stripped = _strip_or_fail("<stdin>", raw)
    if check:
        if stripped.encode("utf-8") != raw:
            print(_would_change("<stdin>", raw.decode("utf-8")), file=sys.stderr)
            return 1
        return 0
    sys.stdout.buffer.write(stripped.encode("utf-8"))
    return 0


def _stripped(files: list[str]) -> list[tuple[Path, bytes, str]]:
    """Every file as read and stripped, or exit 2 on the first unreadable one (nothing
    written yet)."""
    out = []
    for name in files:
        try:
            raw = Path(name).read_bytes()
        except OSError as exc:
            fail(f"paxosbook strip-outputs: FILE: must be a readable notebook; got {name!r} "
                 f"({exc.strerror})")
        out.append((Path(name), raw, _strip_or_fail(name, raw)))
    return out


def _strip_or_fail(name: str, raw: bytes) -> str:
    try:
        return strip_outputs(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail(f"paxosbook strip-outputs: {name}: not a notebook: not UTF-8 text")
    except FormatError as exc:
        fail(f"paxosbook strip-outputs: {name}: {exc}")


def _changes(path: Path, original: bytes, stripped: str, check: bool) -> bool:
    """Write ``stripped`` to ``path`` if it differs (only report it with ``check``)."""
    new = stripped.encode("utf-8")
    if new == original:
        return False
    if check:
        print(_would_change(str(path), original.decode("utf-8")))
        return True
    try:
        path.write_bytes(new)
    except OSError as exc:
        fail(f"paxosbook strip-outputs: FILE: must be a writable notebook; got {str(path)!r} "
             f"({exc.strerror})")
    print(f"stripped {path}")
    return True


def _would_change(name: str, text: str) -> str:
    cells = cells_with_outputs(text)
    what = ("it has run metadata or is not in nbformat's layout" if not cells
            else f"cell {cells[0]} has outputs" if len(cells) == 1
            else f"cells {', '.join(map(str, cells))} have outputs")
    fix = "" if name == "<stdin>" else f"; run: paxosbook strip-outputs {name}"
    return f"{name}: not stripped ({what}){fix}"
