"""``Batched``: change several controls, re-run once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class Batched:
    """Mixin for panels whose ``rerun()`` redraws everything: inside ``with panel.hold():``
    control changes only mark the panel stale, and it re-runs once when the block ends."""

    _held = 0
    _pending = False

    def rerun(self) -> None:
        raise NotImplementedError

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls inside the block; the run is redone once at the end."""
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            if not self._held and self._pending:
                self.rerun()
