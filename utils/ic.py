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
    return {"mean_ic": mean, "std_ic": std, "t_stat": float(t), "p_value": p, "n_dates": n,
            "share_positive": float((values > 0).mean())}
