"""``TextTable``: a DataFrame of sentences that a notebook shows whole.

pandas cuts every cell longer than ``display.max_colwidth`` (50 characters) with "...", and
JupyterLab right-aligns table cells: fine for numbers, unreadable for sentences. A
``TextTable`` is an ordinary DataFrame (a slice or a copy of it is a plain one) whose notebook
and text displays show every cell in full, left-aligned and wrapped to the page's width.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

CSS_CLASS = "paxosbook-text-table"
_STYLE = (f"<style>.jp-RenderedHTMLCommon .{CSS_CLASS} td, .jp-RenderedHTMLCommon "
          f".{CSS_CLASS} th, .{CSS_CLASS} td, .{CSS_CLASS} th {{text-align: left; "
          "white-space: normal; overflow-wrap: break-word;}</style>")


class TextTable(pd.DataFrame):
    """A DataFrame shown with every cell in full, left-aligned and wrapped."""

    @property
    def _constructor(self) -> Any:
        return pd.DataFrame

    def _repr_html_(self) -> str | None:
        with pd.option_context("display.max_colwidth", None):
            html = super()._repr_html_()  # type: ignore[misc]  # not in pandas-stubs
        return None if html is None else f"<div class='{CSS_CLASS}'>{_STYLE}{html}</div>"

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.max_columns", None):
            return super().__repr__()
