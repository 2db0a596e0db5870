"""The widget's text lines: the summary of a run and the call that reproduces it."""

from __future__ import annotations

import html
from dataclasses import fields
from typing import Any

from ..config import Config
from ..summary import Summary
from ..views import style

_DEFAULTS = Config()


def reproduce(config: Config, seed: int) -> str:
    """The Python call that recreates the run: ``pb.simulate(pb.Config(...), seed=...)``
    listing only the fields that differ from ``Config()``'s defaults."""
    parts = []
    for f in fields(Config):
        value = getattr(config, f.name)
        if value != getattr(_DEFAULTS, f.name):
            parts.append(f"{f.name}={_code(value)}")
    return f"pb.simulate(pb.Config({', '.join(parts)}), seed={seed})"


def _code(value: Any) -> str:
    if isinstance(value, tuple):
        inner = ", ".join(_code(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if type(value).__name__ in ("Crash", "Partition"):
        args = ", ".join(f"{f.name}={_code(getattr(value, f.name))}" for f in fields(value))
        return f"pb.{type(value).__name__}({args})"
    if isinstance(value, float):
        return repr(round(value, 9))
    return repr(value)


def summary_html(s: Summary, max_time: float) -> str:
    """One line: decided value and time, messages, ballots, and the safety verdict (red)."""
    if s.decided:
        head = f"<b>decided {html.escape(str(s.value))}</b> at t={s.time_to_decision:.2f}"
    else:
        why = {"time": f"by the time limit t={max_time:g}", "messages": "within the message cap",
               "quiescent": "(nothing left to happen)"}.get(s.stop_reason, s.stop_reason)
        head = f"<b>no decision</b> {why}"
    body = (f"{head} · {s.messages_sent} messages ({s.messages_delivered} delivered, "
            f"{s.messages_dropped} dropped, {s.messages_duplicated} duplicated) · "
            f"{s.ballots} ballot(s)")
    if s.violations:
        names = ", ".join(sorted({v["property"] for v in s.violations}))
        verdict = (f"<span style='color:{style.VIOLATION_COLOR};font-weight:bold'>"
                   f"VIOLATED: {html.escape(names)}</span>")
    else:
        verdict = f"<span style='color:{style.CHOSEN_COLOR}'>safety holds</span>"
    unsafe = " <i>(unsafe configuration)</i>" if s.unsafe else ""
    return f"<div class='paxosbook-summary'>{body} · {verdict}{unsafe}</div>"


def error_html(exc: BaseException) -> str:
    return (f"<div class='paxosbook-error' style='color:{style.VIOLATION_COLOR}'>"
            f"⚠ {html.escape(str(exc))} — showing the last valid run</div>")
