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
    """Split rows (indexed by date, or by (date, ...) like a (date, ticker) panel) into train
    (<= train_end), validation (<= val_end) and test.

    ``gap`` **dates** are dropped after each boundary (use the label horizon minus one, so
    that no training label overlaps the next period's dates); on a panel every row of a
    purged date goes. Returns ``(train, val, test)``.
    """
    dates = pd.DatetimeIndex(frame.index.get_level_values(0))
    train_end, val_end = pd.Timestamp(train_end), pd.Timestamp(val_end)
    if not train_end < val_end:
        raise ValueError(f"train_end ({train_end.date()}) must come before val_end ({val_end.date()})")
    calendar = dates.unique().sort_values()
    pos = calendar.get_indexer(dates)  # the position of each row's date in the calendar
    first_val = int(np.searchsorted(calendar, train_end, side="right"))
    first_test = int(np.searchsorted(calendar, val_end, side="right"))
    train = frame[pos < first_val]
    val = frame[(pos >= first_val + gap) & (pos < first_test)]
    test = frame[pos >= first_test + gap]
    if min(len(train), len(val), len(test)) == 0:
        raise ValueError(
            f"empty period: {len(train)} train, {len(val)} validation, {len(test)} test rows; "
            f"the data run from {dates.min().date()} to {dates.max().date()}"
        )
    return train, val, test


# --------------------------------------------------------------------------------------
# Deep-learning input, metrics, and (date, ticker) panels
# --------------------------------------------------------------------------------------


def to_sequences(X: pd.DataFrame | np.ndarray, n_features: int = 1) -> np.ndarray:
    """Lag columns ``lag_1 .. lag_n`` (``lag_1`` = newest) -> a 3-D array ``(samples, time steps, features)``.

    Time steps run **oldest first** (step 0 = ``lag_n``, the last step = ``lag_1``), the order
    recurrent layers and causal convolutions expect. With ``n_features > 1`` the columns must
    be grouped by lag (all features of ``lag_1`` first, then ``lag_2`` ...).
    """
    values = np.asarray(X, dtype="float32")
    if values.ndim != 2:
        raise ValueError(
            f"to_sequences expects a 2-D table (samples, lags * features), got shape {values.shape}"
        )
    if n_features < 1 or values.shape[1] % n_features:
        raise ValueError(
            f"{values.shape[1]} columns cannot be split into time steps of {n_features} features"
        )
    steps = values.shape[1] // n_features
    return values.reshape(len(values), steps, n_features)[:, ::-1, :].copy()


def forecast_metrics(y_true, y_pred) -> dict[str, float]:
    """RMSE, MAE and hit rate of a forecast of returns.

    Hit rate: the share of periods where the forecast's sign equals the outcome's sign,
    over the periods with a non-zero outcome (a zero forecast on such a period is a miss).
    A forecast that is 0 everywhere has no direction: its hit rate is NaN (compare it with
    the share of up periods instead).
    """
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_pred = np.asarray(y_pred, dtype=float).ravel()
    if y_true.shape != y_pred.shape or y_true.size == 0:
        raise ValueError(f"need two non-empty arrays of the same length, got {y_true.size} and {y_pred.size}")
    if not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        raise ValueError("y_true and y_pred must be finite: drop or fill missing values first")
    err = y_pred - y_true
    moved = y_true != 0
    if np.all(y_pred == 0) or not moved.any():
        hit = float("nan")
    else:
        hit = float(np.mean(np.sign(y_pred[moved]) == np.sign(y_true[moved])))
    return {"rmse": float(np.sqrt(np.mean(err**2))), "mae": float(np.mean(np.abs(err))), "hit_rate": hit}


def _check_panel(values: pd.Series, what: str = "values") -> None:
    if not isinstance(values, pd.Series):
        raise TypeError(
            f"{what} must be a pandas Series indexed by (date, ticker), got {type(values).__name__}"
        )
    if values.index.nlevels != 2:
        raise ValueError(
            f"{what} must have a 2-level (date, ticker) index, got {values.index.nlevels} level(s)"
        )
    if not values.index.is_unique:
        raise ValueError(f"{what} has duplicate (date, ticker) rows: drop them first")


def _wide(values: pd.Series) -> pd.DataFrame:
    """(date, ticker) Series -> date x ticker table on the panel's own date grid (sorted)."""
    return values.unstack(level=1).sort_index()


def _long(wide: pd.DataFrame, names) -> pd.Series:
    out = wide.stack().dropna()  # pandas >= 3 keeps missing cells in stack(): drop them here
    out.index.names = names
    return out.sort_index()


def panel_lags(values: pd.Series, n_lags: int) -> pd.DataFrame:
    """Lagged features per ticker of a (date, ticker) Series: ``lag_1`` = value at t, ``lag_k`` at t-k+1.

    Lags are taken on the panel's date grid (all dates that occur in the index), so a ticker
    with a missing date gets a missing lag instead of a neighbour from further back. Rows
    with any missing lag are dropped. The result is sorted by (date, ticker) whatever the
    row order of the input.
    """
    _check_panel(values)
    if n_lags < 1:
        raise ValueError(f"n_lags must be >= 1, got {n_lags}")
    wide = _wide(values)
    names = list(values.index.names)
    cols = {f"lag_{k}": _long(wide.shift(k - 1), names) for k in range(1, n_lags + 1)}
    return pd.concat(cols, axis=1).dropna()


def panel_forward(values: pd.Series, horizon: int = 1) -> pd.Series:
    """Label per ticker: the value ``horizon`` dates later on the panel's date grid, indexed by t.

    For a (date, ticker) Series of period returns, ``panel_forward(r, 1)`` is next period's
    return. Missing future values are dropped; the result is sorted by (date, ticker).
    """
    _check_panel(values)
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 (a label strictly after t), got {horizon}")
    out = _long(_wide(values).shift(-horizon), list(values.index.names))
    return out.rename(f"fwd_{horizon}")


def forward_returns(prices: pd.Series, horizon: int = 1) -> pd.Series:
    """Return from t to t + ``horizon`` per ticker, ``p[t+h] / p[t] - 1``, indexed by t (the label date)."""
    _check_panel(prices, "prices")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1 (a label strictly after t), got {horizon}")
    wide = _wide(prices)
    if (wide <= 0).any().any():
        raise ValueError("prices must be positive to compute returns; clean the data first")
    out = _long(wide.shift(-horizon) / wide - 1.0, list(prices.index.names))
    return out.rename(f"fwd_ret_{horizon}")


def make_panel_supervised(values: pd.Series, n_lags: int, horizon: int = 1) -> tuple[pd.DataFrame, pd.Series]:
    """Features (``panel_lags``) and label (``panel_forward``) joined on (date, ticker).

    Only rows that have every lag and the label are kept; ``X`` and ``y`` share one index,
    so a feature row and its label always belong to the same ticker and date.
    """
    X = panel_lags(values, n_lags)
    y = panel_forward(values, horizon)
    index = X.index.intersection(y.index).sort_values()
    return X.loc[index], y.loc[index].rename(f"target_t+{horizon}")


def monthly_returns(prices: pd.Series, drop_incomplete_last: bool = True) -> pd.Series:
    """Monthly simple returns per ticker from daily prices indexed by (date, ticker).

    The month's price is the last available close in that month; the return of month m is
    ``p[m] / p[m-1] - 1`` and is dated at the month's end (known at the close of m). A
    month without a price gives no return for itself or the next month. With
    ``drop_incomplete_last`` the last month is dropped when the data stop before its last
    business day (a partial month is not a monthly return).
    """
    _check_panel(prices, "prices")
    wide = _wide(prices)
    if not isinstance(wide.index, pd.DatetimeIndex):
        raise TypeError("the first index level must hold dates (datetime64)")
    if (wide <= 0).any().any():
        raise ValueError("prices must be positive to compute returns; clean the data first")
    month_end = wide.resample("ME").last()  # last non-missing close of each month, NaN if none
    rets = month_end / month_end.shift(1) - 1.0
    last_day = wide.index.max()
    if drop_incomplete_last and last_day < last_day + pd.offsets.BMonthEnd(0):
        rets = rets.iloc[:-1]
    return _long(rets, list(prices.index.names)).rename("ret")


def winsorize_by_date(values: pd.Series, lower: float = 0.01, upper: float = 0.99) -> tuple[pd.Series, int]:
    """Clip each date's cross-section to its own ``lower`` / ``upper`` quantiles.

    Uses only the values of the same date (no look-ahead). Returns the clipped Series and
    how many values were clipped.
    """
    _check_panel(values)
    if not 0 <= lower < upper <= 1:
        raise ValueError(f"need 0 <= lower < upper <= 1, got lower={lower}, upper={upper}")
    level = values.index.names[0] or 0
    grouped = values.groupby(level=level)
    lo = grouped.transform(lambda s: s.quantile(lower))
    hi = grouped.transform(lambda s: s.quantile(upper))
    clipped = values.clip(lo, hi)
    n = int((clipped != values).sum())
    return clipped, n


def cross_sectional_quantile(values: pd.Series, q: int = 5) -> pd.Series:
    """Quantile bucket 0 .. q-1 of each value within its date (0 = lowest).

    Buckets are cut on each date's ranks, ties broken by order of appearance, so every
    bucket of a date holds the same number of values (give or take one), as alphalens
    does. Uses only the values of the same date. Missing values stay missing.
    """
    _check_panel(values)
    if not isinstance(q, (int, np.integer)) or q < 2:
        raise ValueError(f"q must be an integer >= 2, got {q!r}")
    level = values.index.names[0] or 0
    pct = values.groupby(level=level).rank(method="first", pct=True)
    return np.clip(np.ceil(pct * q) - 1, 0, q - 1)


def momentum(returns_: pd.Series, lookback: int = 12, skip: int = 1) -> pd.Series:
    """Momentum ``lookback - skip``: compounded return of the ``lookback`` periods up to t, leaving
    out the most recent ``skip`` (12-1 momentum: months t-11 .. t-1 for a signal at the end of t).

    ``returns_`` are period returns indexed by (date, ticker); uses data up to t only.
    """
    if not 0 <= skip < lookback:
        raise ValueError(f"need 0 <= skip < lookback, got lookback={lookback}, skip={skip}")
    lags = panel_lags(returns_, lookback)
    kept = lags[[f"lag_{k}" for k in range(skip + 1, lookback + 1)]]
    return ((1.0 + kept).prod(axis=1) - 1.0).rename(f"mom_{lookback}_{skip}")


def short_term_reversal(close: pd.Series, window: int = 5) -> pd.Series:
    """Short-term reversal: minus the past ``window``-day return, ``-(p[t] / p[t-window] - 1)``.

    ``close`` is indexed by (date, ticker); returns are taken per ticker on the panel's
    date grid and use prices up to t only. Last week's losers are expected to bounce
    (a high value = a buy). No fitting, so it needs no training window.
    """
    if not isinstance(close, pd.Series) or close.index.nlevels != 2:
        raise TypeError("close must be a pandas Series indexed by (date, ticker)")
    if not close.index.is_unique:
        raise ValueError("close has duplicate (date, ticker) rows")
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive number of days, got {window!r}")
    wide = close.unstack(level=1).sort_index()
    if (wide <= 0).any().any():
        raise ValueError("prices must be positive; clean the data first")
    out = -(wide / wide.shift(window) - 1.0)
    out = out.stack().dropna()
    out.index.names = close.index.names
    return out.sort_index().rename(f"reversal_{window}d")


def diebold_mariano(y_true, pred_a, pred_b, horizon: int = 1) -> dict[str, float]:
    """Diebold-Mariano test of equal mean squared error of two forecasts of the same outcomes.

    ``d_t = (pred_a - y)^2 - (pred_b - y)^2``; the statistic is ``mean(d) / sqrt(V / n)`` with
    ``V`` the variance of ``d`` plus its autocovariances up to lag ``horizon - 1`` (overlapping
    multi-step forecasts), compared with a standard normal. A negative statistic means
    forecast ``a`` has the smaller squared errors; ``p_value`` is two-sided.
    """
    from scipy import stats

    y = np.asarray(y_true, dtype=float).ravel()
    a = np.asarray(pred_a, dtype=float).ravel()
    b = np.asarray(pred_b, dtype=float).ravel()
    if not (len(y) == len(a) == len(b)) or len(y) < 3:
        raise ValueError(f"need three arrays of the same length >= 3, got {len(y)}, {len(a)}, {len(b)}")
    if horizon < 1:
        raise ValueError(f"horizon must be >= 1, got {horizon}")
    d = (a - y) ** 2 - (b - y) ** 2
    n, dc = len(d), d - d.mean()
    var = dc @ dc / n + 2 * sum(dc[k:] @ dc[:-k] / n for k in range(1, horizon))
    if var <= 0:
        raise ValueError("the two forecasts have identical squared errors: nothing to test")
    stat = float(d.mean() / np.sqrt(var / n))
    return {"dm_stat": stat, "p_value": float(2 * stats.norm.sf(abs(stat)))}
