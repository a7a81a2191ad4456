"""Judging a stock-ranking signal (notebook 14): a daily quintile long-short portfolio with
transaction costs, its performance statistics, and the glue to alphalens.

Timing convention of :func:`long_short_returns`: the signal of date t is known at the close
of t; the portfolio is formed at that close and earns the close-to-close return from t to
the next trading day t+1. Costs are charged on the weight traded at t, including the trades
that undo the drift of yesterday's weights.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd

from .timeseries import cross_sectional_quantile

TRADING_DAYS = 252


def _check_series(s, name):
    if not isinstance(s, pd.Series) or s.index.nlevels != 2:
        raise TypeError(f"{name} must be a pandas Series indexed by (date, ticker)")
    if not s.index.is_unique:
        raise ValueError(f"{name} has duplicate (date, ticker) rows")


def quantile_weights(signal: pd.Series, quantiles: int = 5) -> pd.DataFrame:
    """Equal weights per date: +1/n on the top quantile of ``signal``, -1/n on the bottom one.

    Quantiles are :func:`utils.timeseries.cross_sectional_quantile` (each date's ranks, so
    the buckets have equal sizes, as in alphalens). **Tied values get the same weight**: a
    group of equal values shares the weights its members would have had (their mean), so
    the order of the rows never matters and a constant signal (no view) gives no position.
    Returns a date x ticker frame of weights (0 for the middle quantiles); without ties
    each date's long leg sums to +1 and the short leg to -1.
    """
    _check_series(signal, "signal")
    if not isinstance(quantiles, int) or quantiles < 2:
        raise ValueError(f"quantiles must be an integer >= 2, got {quantiles!r}")
    sig = signal.dropna()
    level = sig.index.names[0] or 0
    count = sig.groupby(level=level).transform("count")
    if (count < quantiles).any():
        few = sorted(set(sig.index.get_level_values(0)[count < quantiles]))[:3]
        raise ValueError(f"dates with fewer stocks than quantiles ({quantiles}), e.g. {few}: drop them first")
    bucket = cross_sectional_quantile(sig, quantiles)  # 0 .. quantiles - 1
    top, bottom = (bucket == quantiles - 1), (bucket == 0)
    n_top = top.groupby(level=level).transform("sum")
    n_bottom = bottom.groupby(level=level).transform("sum")
    w = pd.Series(0.0, index=sig.index)
    w[top] = 1.0 / n_top[top]
    w[bottom] = -1.0 / n_bottom[bottom]
    w = w.groupby([sig.index.get_level_values(0), sig.to_numpy()]).transform("mean")  # ties share
    return w.unstack(level=1).fillna(0.0).sort_index()


def long_short_returns(
    signal: pd.Series, next_returns: pd.Series, quantiles: int = 5, cost_bps: float = 5.0
) -> pd.DataFrame:
    """Daily returns of a long top / short bottom quantile portfolio, equal weight, with costs.

    ``signal`` (date t) forms the weights at the close of t; ``next_returns`` is indexed
    by the same (t, ticker) and holds the return from close t to close t+1 (e.g.
    ``forward_returns(close, 1)``): the portfolio's gross return of date t is
    ``g_t = sum(w_t * r_{t->t+1})``, each leg at 100 % (long +1, short -1, 200 % gross).
    A stock without a next return (delisted) earns 0.

    Turnover of date t is what must be traded at the close of t to go from the book held
    (yesterday's weights after a day of returns) to the new weights:
    ``sum |w_t - w_{t-1} (1 + r_{t-1}) / (1 + g_{t-1})|``. The drift term charges the
    trades that trim winners and top up losers even when the targets do not change. On
    the first date the book is built from cash: turnover 2.0 (1.0 a leg); replacing every
    name of both legs costs 4.0. Cost = turnover x ``cost_bps`` / 10,000. Returns a frame
    indexed by date with ``gross``, ``cost``, ``net``, ``turnover``, ``n_long``, ``n_short``.
    """
    _check_series(next_returns, "next_returns")
    if cost_bps < 0:
        raise ValueError(f"cost_bps must be >= 0, got {cost_bps!r}")
    w = quantile_weights(signal, quantiles)
    r = next_returns.unstack(level=1).reindex(index=w.index, columns=w.columns).fillna(0.0)
    gross = (w * r).sum(axis=1)
    drifted = (w * (1.0 + r)).div(1.0 + gross, axis=0)  # the book at the next close, before trading
    turnover = (w - drifted.shift(1)).abs().sum(axis=1)
    turnover.iloc[0] = w.iloc[0].abs().sum()
    cost = turnover * cost_bps / 1e4
    out = pd.DataFrame(
        {
            "gross": gross,
            "cost": cost,
            "net": gross - cost,
            "turnover": turnover,
            "n_long": (w > 0).sum(axis=1),
            "n_short": (w < 0).sum(axis=1),
        }
    )
    out.index.name = "date"
    return out


def max_drawdown(returns: pd.Series) -> float:
    """Largest peak-to-trough loss of the compounded returns (a negative number, 0 if none)."""
    wealth = (1.0 + pd.Series(returns, dtype=float).fillna(0.0)).cumprod()
    peak = np.maximum(wealth.cummax(), 1.0)
    return float((wealth / peak - 1.0).min())


def performance_stats(
    returns: pd.Series, turnover: pd.Series | None = None, periods_per_year: int = TRADING_DAYS
) -> dict[str, float]:
    """Annual return (geometric), annual volatility, Sharpe ratio (mean / std x sqrt(252),
    risk-free rate 0), max drawdown, total return, days, and mean daily turnover if given."""
    r = pd.Series(returns, dtype=float).dropna()
    n = len(r)
    if n < 2:
        raise ValueError(f"need at least 2 daily returns, got {n}")
    total = float((1.0 + r).prod() - 1.0)
    std = float(r.std(ddof=1))
    stats = {
        "annual_return": float((1.0 + total) ** (periods_per_year / n) - 1.0),
        "annual_volatility": std * np.sqrt(periods_per_year),
        "sharpe": float(r.mean() / std * np.sqrt(periods_per_year)) if std > 0 else float("nan"),
        "max_drawdown": max_drawdown(r),
        "total_return": total,
        "days": n,
    }
    if turnover is not None:
        stats["mean_daily_turnover"] = float(pd.Series(turnover, dtype=float).mean())
    return stats


def alphalens_factor_data(
    predictions: pd.Series,
    close_wide: pd.DataFrame,
    quantiles: int = 5,
    periods=(1, 5, 10),
    max_loss: float = 0.35,
    verbose: bool = True,
) -> pd.DataFrame:
    """alphalens factor data from (date, ticker) predictions and a date x ticker close frame.

    Wraps ``alphalens.utils.get_clean_factor_and_forward_returns`` (equal-sized
    ``quantiles`` per date, forward returns over ``periods`` trading days of the price
    frame's calendar). The prices must extend at least ``max(periods)`` days past the last
    prediction date, or the last dates lose their forward returns. alphalens' own
    deprecation warnings under pandas 3 are silenced; its one-line report of dropped rows
    is printed when ``verbose``. ``max_loss``: the largest share of rows alphalens may drop
    (missing forward returns at the end of the sample) before it raises.
    """
    import alphalens as al

    _check_series(predictions, "predictions")
    if not isinstance(close_wide, pd.DataFrame) or not isinstance(close_wide.index, pd.DatetimeIndex):
        raise TypeError("close_wide must be a DataFrame indexed by date with one column a ticker")
    missing = sorted(set(predictions.index.get_level_values(1)) - set(close_wide.columns))
    if missing:
        raise ValueError(f"{len(missing)} tickers have predictions but no prices, e.g. {missing[:3]}")
    factor = predictions.dropna().copy()
    factor.index = factor.index.set_names(["date", "asset"])
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(buffer):
        warnings.simplefilter("ignore")
        data = al.utils.get_clean_factor_and_forward_returns(
            factor, close_wide.sort_index(), quantiles=quantiles, periods=tuple(periods), max_loss=max_loss
        )
    if verbose:
        line = next((ln for ln in buffer.getvalue().splitlines() if ln.startswith("Dropped")), "")
        print(line.split(" (set max_loss")[0] + ("." if line and not line.endswith(".") else ""))
    return data


def quantile_spread(factor_data: pd.DataFrame) -> pd.DataFrame:
    """Top-minus-bottom quantile spread per horizon from alphalens factor data.

    Convention (alphalens' ``mean_return_by_quantile`` + ``rate_of_return``): for each
    forward-return column (``1D``, ``5D``...), the mean h-day return of the top quantile
    and of the bottom quantile (each date's mean over the quantile's stocks, averaged over
    the dates), each converted to a daily rate
    ``(1 + mean) ** (1 / h) - 1``; ``mean_bps_per_day`` is the difference, equal to the
    ``top - bottom`` row of :func:`alphalens_tables`. ``t_stat`` is that of the per-date
    spreads of the h-day returns (for h > 1 the dates' windows overlap, so it is too large
    by roughly sqrt(h)); ``n_dates`` counts those dates.

    Note: alphalens >= 0.5 prints *half* of this spread in its tear sheet (a 100 % gross
    book); this is the full difference between the two quantiles (100 % long and 100 % short).
    """
    import alphalens as al

    cols = list(al.utils.get_forward_returns_columns(factor_data.columns))
    if not cols or "factor_quantile" not in factor_data:
        raise ValueError(
            "factor_data must come from alphalens_factor_data (forward returns and factor_quantile)"
        )
    q = factor_data["factor_quantile"]
    top, bottom = q.max(), q.min()
    rows = {}
    for col in cols:
        days = pd.Timedelta(col).days
        by = factor_data[col].groupby([factor_data.index.get_level_values(0), q]).mean().unstack()
        rate = (1.0 + by.mean()) ** (1.0 / days) - 1.0  # mean over dates of each date's quantile mean
        spread = (by[top] - by[bottom]).dropna()
        rows[col] = {
            "mean_bps_per_day": (rate[top] - rate[bottom]) * 1e4,
            "t_stat": spread.mean() / spread.std(ddof=1) * np.sqrt(len(spread)),
            "n_dates": len(spread),
        }
    return pd.DataFrame(rows).T.astype({"n_dates": int})


def alphalens_tables(factor_data: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The numbers of alphalens' returns, information and turnover tear sheets, as tables.

    - ``returns``: mean return of each quantile (rows) per horizon (columns), in bps a day
      (``rate_of_return`` as alphalens does), not demeaned, plus a ``top - bottom`` row;
    - ``information``: alphalens' information table (IC mean, std, risk-adjusted IC,
      t-stat, p-value, skew, kurtosis) per horizon; the t-statistic of h > 1 days counts
      overlapping returns;
    - ``turnover``: mean share of names new to the top and to the bottom quantile, and the
      mean factor rank autocorrelation, per horizon.
    """
    import alphalens as al

    if "factor_quantile" not in factor_data:
        raise ValueError("factor_data must come from alphalens_factor_data (it lacks factor_quantile)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, _ = al.performance.mean_return_by_quantile(factor_data, demeaned=False)
        rate = mean.apply(al.utils.rate_of_return, axis=0, base_period=mean.columns[0]) * 1e4
        rate.loc["top - bottom"] = rate.iloc[-1] - rate.iloc[0]
        ic = al.performance.factor_information_coefficient(factor_data)
        info = al.plotting.plot_information_table(ic, return_df=True)
        q = factor_data["factor_quantile"]
        top, bottom = int(q.max()), int(q.min())
        periods = al.utils.timedelta_strings_to_integers(list(ic.columns))
        turnover = pd.DataFrame(
            {
                f"{p}D": {
                    "top quantile turnover": al.performance.quantile_turnover(q, top, p).mean(),
                    "bottom quantile turnover": al.performance.quantile_turnover(q, bottom, p).mean(),
                    "rank autocorrelation": al.performance.factor_rank_autocorrelation(factor_data, p).mean(),
                }
                for p in periods
            }
        )
    rate.index = [i if isinstance(i, str) else str(int(i)) for i in rate.index]  # quantile 1.0 -> "1"
    rate.index.name = "quantile (bps/day)"
    return {"returns": rate, "information": info, "turnover": turnover}
