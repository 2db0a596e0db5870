"""Errors: one base class, two kinds (after h11's LocalProtocolError / RemoteProtocolError).

``UsageError`` means the caller misused the API (a bad config field, an impossible fault
schedule, a bad command-line flag, a file path that does not exist); ``FormatError`` means a
file or other external input is malformed. Every error a user can cause is a
``PaxosbookError``, so a notebook, a widget or the CLI catches that one class. Inside the
protocol a stale, duplicate or reordered message is normal life and never raises.
"""

from __future__ import annotations


class PaxosbookError(Exception):
    """Base class of every error paxosbook raises on purpose."""


class UsageError(PaxosbookError, ValueError):
    """The API was called with a value outside what it accepts.

    ``field`` names the offending parameter, ``allowed`` the accepted range and ``given``
    the value received, so a CLI or a widget can print one clear line.
    """

    def __init__(self, field: str, allowed: str, given: object) -> None:
        self.field = field
        self.allowed = allowed
        self.given = given
        super().__init__(f"{field}: must be {allowed}; got {given!r}")


class MissingFileError(UsageError, FileNotFoundError):
    """A file the caller named does not exist (also a ``FileNotFoundError``)."""


class FormatError(PaxosbookError, ValueError):
    """An external document (a saved run, a trace file) is malformed or of another version."""
