"""Information coefficient (IC): how well a signal ranks the next period's returns.

The IC of a date is the Spearman rank correlation, across tickers, between the signal
known at that date and the return that follows. Signals and returns are matched by their
(date, ticker) index, never by position.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats


def ic_by_date(signal: pd.Series, forward_returns: pd.Series, min_obs: int = 10) -> pd.Series:
    """Spearman IC per date of a (date, ticker)-indexed signal against forward returns.

    Rows are paired by index (the order of either input does not matter); rows missing in
    one of them, or holding NaN, are left out. Dates with fewer than ``min_obs`` pairs are
    dropped. Returns a Series indexed by date, sorted.
    """
    for name, s in (("signal", signal), ("forward_returns", forward_returns)):
        if not isinstance(s, pd.Series) or s.index.nlevels != 2:
            raise TypeError(f"{name} must be a pandas Series indexed by (date, ticker)")
        if not s.index.is_unique:
            raise ValueError(f"{name} has duplicate (date, ticker) rows")
    if min_obs < 3:
        raise ValueError(f"min_obs must be >= 3 for a rank correlation, got {min_obs}")
    both = pd.concat({"signal": signal, "ret": forward_returns}, axis=1, join="inner").dropna()
    if both.empty:
        raise ValueError("signal and forward_returns share no (date, ticker) rows: check both indexes")
    level = both.index.names[0] or 0

    def one(g):
        if len(g) < min_obs or g["signal"].nunique() < 2 or g["ret"].nunique() < 2:
            return np.nan
        return stats.spearmanr(g["signal"], g["ret"]).statistic

    ic = both.groupby(level=level).apply(one).dropna().sort_index()
    return ic.rename("ic")


def ic_summary(ic: pd.Series) -> dict[str, float]:
    """Mean IC, its standard deviation, t-statistic (mean / std * sqrt(n)), the two-sided
    p-value of that t-statistic (Student t, n - 1 degrees of freedom; it treats the dates'
    ICs as independent), n and the share of dates with a positive IC."""
    values = np.asarray(ic, dtype=float)
    values = values[np.isfinite(values)]
    n = len(values)
    if n < 2:
        raise ValueError(f"need at least 2 dates with an IC for a t-statistic, got {n}")
    mean, std = float(values.mean()), float(values.std(ddof=1))
    t = mean / std * np.sqrt(n) if std > 0 else float("nan")
    p = float(2 * stats.t.sf(abs(t), df=n - 1)) if np.isfinite(t) else float("nan")
    return {
        "mean_ic": mean,
        "std_ic": std,
        "t_stat": float(t),
        "p_value": p,
        "n_dates": n,
        "share_positive": float((values > 0).mean()),
    }


def ic_comparison(
    predictions: pd.DataFrame, forward: pd.Series, step: int = 1, min_obs: int = 10
) -> pd.DataFrame:
    """Daily Spearman IC of every column of ``predictions`` against ``forward``, summarised.

    One row a model: ``mean_ic``, ``t_stat``, ``p_value``, ``hit_rate`` (share of dates with
    a positive IC) and ``n_dates``. With ``step = h`` only every h-th date is used, so that
    the h-day forward returns of the dates used do not overlap and the t-statistic does
    not count the same return h times.
    """
    if not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be a positive integer (dates), got {step!r}")
    rows = {}
    for name in predictions:
        ic = ic_by_date(predictions[name], forward, min_obs=min_obs).iloc[::step]
        s = ic_summary(ic)
        rows[name] = {
            "mean_ic": s["mean_ic"],
            "t_stat": s["t_stat"],
            "p_value": s["p_value"],
            "hit_rate": s["share_positive"],
            "n_dates": s["n_dates"],
        }
    return pd.DataFrame(rows).T.astype({"n_dates": int})


def fold_ic_table(
    predictions: pd.DataFrame, forward_returns: pd.Series, fold: pd.Series, min_obs: int = 10
) -> pd.DataFrame:
    """Mean daily Spearman IC per fold (rows) and model (columns) against ``forward_returns``.

    ``predictions`` holds one column a model, indexed by (date, ticker); ``fold`` gives
    each row's fold number (same index).
    """
    if not predictions.index.equals(fold.index):
        raise ValueError("predictions and fold must share the same (date, ticker) index")
    dates = predictions.index.get_level_values(0)
    fold_of_date = pd.Series(fold.to_numpy(), index=dates).groupby(level=0).first()
    out = {}
    for name in predictions:
        ic = ic_by_date(predictions[name], forward_returns, min_obs=min_obs)
        out[name] = ic.groupby(fold_of_date.reindex(ic.index).to_numpy()).mean()
    table = pd.DataFrame(out)
    table.index.name = "fold"
    return table
