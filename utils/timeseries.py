"""Supervised learning from time series, without look-ahead.

Conventions used across the course:

- a row indexed by date ``t`` holds **features known at the close of t** (``lag_1`` is the
  value at t itself, ``lag_k`` the value at t-k+1);
- its **label** is the value ``horizon`` steps later (t+1 for the next day), strictly after t;
- periods are split in time order (train < validation < test), never shuffled.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def returns(prices: pd.Series | pd.DataFrame, kind: str = "simple") -> pd.Series | pd.DataFrame:
    """Period returns of prices: ``simple`` (p_t / p_{t-1} - 1) or ``log`` (ln p_t - ln p_{t-1}).

    The first row (no previous price) is dropped. Uses data up to t only.
    """
    if kind not in ("simple", "log"):
        raise ValueError(f"kind must be 'simple' or 'log', got {kind!r}")
    if (np.asarray(prices, dtype=float) <= 0).any():
        raise ValueError("prices must be positive to compute returns; clean the data first")
    out = prices.pct_change(fill_method=None) if kind == "simple" else np.log(prices).diff()
    return out.iloc[1:]


def make_supervised(series: pd.Series, n_lags: int, horizon: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """Lagged features and a future label from one series.

    Returns ``X`` with columns ``lag_1 .. lag_{n_lags}`` (``lag_1`` = value at t) and ``y`` =
    value at ``t + horizon``, both indexed by t; rows where any lag or the label is missing
    (the first ``n_lags - 1`` and the last ``horizon`` dates) are dropped.
    """
    if not isinstance(series, pd.Series):
        raise TypeError(f"make_supervised expects a pandas Series, got {type(series).__name__}")
    if n_lags < 1 or horizon < 1:
        raise ValueError(f"n_lags and horizon must be >= 1, got n_lags={n_lags}, horizon={horizon}")
    if not series.index.is_monotonic_increasing:
        raise ValueError("the series must be sorted by date (oldest first): call .sort_index()")
    X = pd.concat({f"lag_{k}": series.shift(k - 1) for k in range(1, n_lags + 1)}, axis=1)
    y = series.shift(-horizon).rename(f"target_t+{horizon}")
    keep = X.notna().all(axis=1) & y.notna()
    return X[keep], y[keep]


def split_by_date(frame: pd.DataFrame | pd.Series, train_end, val_end, gap: int = 0):
    """Split rows (indexed by date) into train (<= train_end), validation (<= val_end) and test.

    ``gap`` rows are dropped after each boundary (use the label horizon minus one, so that
    no training label overlaps the next period's dates). Returns ``(train, val, test)``.
    """
    dates = pd.DatetimeIndex(frame.index.get_level_values(0))
    train_end, val_end = pd.Timestamp(train_end), pd.Timestamp(val_end)
    if not train_end < val_end:
        raise ValueError(f"train_end ({train_end.date()}) must come before val_end ({val_end.date()})")
    pos = np.arange(len(frame))
    first_val = int(np.searchsorted(dates, train_end, side="right"))
    first_test = int(np.searchsorted(dates, val_end, side="right"))
    train = frame[pos < first_val]
    val = frame[(pos >= first_val + gap) & (pos < first_test)]
    test = frame[pos >= first_test + gap]
    if min(len(train), len(val), len(test)) == 0:
        raise ValueError(f"empty period: {len(train)} train, {len(val)} validation, {len(test)} test rows; "
                         f"the data run from {dates.min().date()} to {dates.max().date()}")
    return train, val, test
