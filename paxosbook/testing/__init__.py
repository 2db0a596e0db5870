"""Harnesses for the tests and benchmarks that need more than Python: ``lab`` starts JupyterLab
and drives Debian's Chromium through Playwright (imported only when a browser is launched)."""
