"""Confidence intervals for sweep results: Wilson for proportions, bootstrap for means/ratios.

Wilson's score interval (Wilson 1927) keeps its coverage near the nominal level even for rates
near 0 or 1 and small samples, where the textbook normal interval collapses to a point. Means
and ratios get a percentile bootstrap with a fixed seed, so the same results give the same
interval every time.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

BOOTSTRAP_SAMPLES = 1000


def _z(level: float) -> float:
    return NormalDist().inv_cdf(0.5 + level / 2)


def wilson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (NaNs when ``n == 0``)."""
    if n == 0:
        return math.nan, math.nan
    z = _z(level)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def bootstrap_mean(values: np.ndarray, level: float = 0.95, *, seed: int = 0,
                   samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float, float]:
    """``(mean, lo, hi)``: the mean of ``values`` (NaNs dropped) and its percentile-bootstrap
    interval; NaNs when there are no values."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    means = _resampled_sums(x, samples, seed)[0] / len(x)
    lo, hi = np.quantile(means, [(1 - level) / 2, (1 + level) / 2])
    return float(x.mean()), float(lo), float(hi)


def bootstrap_ratio(numerator: np.ndarray, denominator: np.ndarray, level: float = 0.95, *,
                    seed: int = 0, samples: int = BOOTSTRAP_SAMPLES
                    ) -> tuple[float, float, float]:
    """``(sum(num) / sum(den), lo, hi)`` resampling whole runs (e.g. messages per decision:
    all messages sent over the number of runs that decided); NaNs when ``sum(den) == 0``."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if len(num) == 0 or den.sum() == 0:
        return math.nan, math.nan, math.nan
    nsum, dsum = _resampled_sums(num, samples, seed, den)
    ratios = np.divide(nsum, dsum, out=np.full(samples, np.inf), where=dsum > 0)
    # a resample without a decision has an infinite ratio: no interpolation across it
    lo, hi = np.quantile(ratios, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    return float(num.sum() / den.sum()), float(lo), float(hi)


def _resampled_sums(x: np.ndarray, samples: int, seed: int,
                    y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Sums of ``x`` (and of ``y``, same indices) over ``samples`` resamples with replacement,
    drawn in blocks so memory stays bounded however long ``x`` is."""
    rng = np.random.default_rng(seed)
    n = len(x)
    block = max(1, min(samples, 1_000_000 // n))
    xs, ys = np.empty(samples), np.empty(samples)
    for start in range(0, samples, block):
        stop = min(samples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        xs[start:stop] = x[idx].sum(axis=1)
        if y is not None:
            ys[start:stop] = y[idx].sum(axis=1)
    return xs, ys
