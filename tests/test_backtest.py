"""Tests of utils.backtest: quintile long-short portfolio, costs, performance stats, alphalens glue."""

import numpy as np
import pandas as pd
import pytest

from utils.backtest import (
    alphalens_factor_data,
    alphalens_tables,
    long_short_returns,
    max_drawdown,
    performance_stats,
    quantile_spread,
    quantile_weights,
)


def panel(n_dates=5, n_tickers=10, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2017-01-02", periods=n_dates)
    idx = pd.MultiIndex.from_product(
        [dates, [f"T{i:02d}" for i in range(n_tickers)]], names=["date", "ticker"]
    )
    return idx, rng


def test_quantile_weights_equal_weight_legs():
    idx, _ = panel(n_dates=2, n_tickers=10)
    sig = pd.Series(np.tile(np.arange(10.0), 2), index=idx)
    w = quantile_weights(sig, 5)
    row = w.iloc[0]
    assert row[["T08", "T09"]].tolist() == [0.5, 0.5] and row[["T00", "T01"]].tolist() == [-0.5, -0.5]
    assert (row[["T02", "T05", "T07"]] == 0).all()
    np.testing.assert_allclose(w.sum(axis=1), 0.0)
    np.testing.assert_allclose(w.abs().sum(axis=1), 2.0)
    with pytest.raises(ValueError, match="fewer stocks"):
        quantile_weights(sig.iloc[:3], 5)
    with pytest.raises(ValueError, match="integer >= 2"):
        quantile_weights(sig, 1)


def test_long_short_returns_timing_costs_and_turnover():
    idx, rng = panel(n_dates=3, n_tickers=10)
    sig = pd.Series(np.tile(np.arange(10.0), 3), index=idx)
    sig.loc[idx.get_level_values(0)[-1]] = np.arange(10.0)[::-1]  # last day: the book flips
    nxt = pd.Series(rng.normal(0, 0.01, len(idx)), index=idx)
    out = long_short_returns(sig, nxt, quantiles=5, cost_bps=10)
    d0 = idx.get_level_values(0)[0]
    r0 = nxt.loc[d0]
    expected = r0[["T08", "T09"]].mean() - r0[["T00", "T01"]].mean()
    assert out.loc[d0, "gross"] == pytest.approx(expected)  # w_t times the return t -> t+1
    w = quantile_weights(sig, 5).to_numpy()
    r = nxt.unstack().to_numpy()
    drift = w * (1 + r) / (1 + (w * r).sum(axis=1, keepdims=True))
    expected = [2.0] + [np.abs(w[k] - drift[k - 1]).sum() for k in (1, 2)]
    np.testing.assert_allclose(out["turnover"], expected)  # build, hold (the drift only), flip
    assert out["turnover"].iloc[1] < 0.05 and 3.9 < out["turnover"].iloc[2] <= 4.0
    np.testing.assert_allclose(out["cost"], out["turnover"] * 10 / 1e4)
    np.testing.assert_allclose(out["net"], out["gross"] - out["cost"])
    assert out["n_long"].tolist() == [2, 2, 2] and out["n_short"].tolist() == [2, 2, 2]
    # a perfect signal earns money, a reversed one loses it
    assert long_short_returns(nxt, nxt)["gross"].gt(0).all()
    assert long_short_returns(-nxt, nxt)["gross"].lt(0).all()
    with pytest.raises(ValueError, match="cost_bps"):
        long_short_returns(sig, nxt, cost_bps=-1)
    with pytest.raises(TypeError, match="date, ticker"):
        long_short_returns(sig, nxt.droplevel(1))


def test_max_drawdown_and_performance_stats():
    r = pd.Series([0.1, -0.5, 0.2, 0.0])
    assert max_drawdown(r) == pytest.approx(-0.5)
    assert max_drawdown(pd.Series([0.01, 0.02])) == 0.0
    assert max_drawdown(pd.Series([-0.1, 0.05])) == pytest.approx(-0.1)  # a loss from the start counts
    daily = pd.Series(np.full(252, 0.001) + np.tile([0.01, -0.01], 126))
    s = performance_stats(daily, turnover=pd.Series(np.full(252, 0.4)))
    assert s["annual_return"] == pytest.approx((1 + s["total_return"]) - 1)  # one year of data
    assert s["sharpe"] == pytest.approx(0.001 / daily.std(ddof=1) * np.sqrt(252))
    assert s["annual_volatility"] == pytest.approx(daily.std(ddof=1) * np.sqrt(252))
    assert s["mean_daily_turnover"] == pytest.approx(0.4) and s["days"] == 252
    with pytest.raises(ValueError, match="at least 2"):
        performance_stats(pd.Series([0.01]))


def prices_and_signal(n_dates=80, n_tickers=25, seed=1):
    idx, rng = panel(n_dates=n_dates, n_tickers=n_tickers, seed=seed)
    dates = idx.get_level_values(0).unique()
    tickers = idx.get_level_values(1).unique()
    rets = pd.DataFrame(rng.normal(0, 0.01, (n_dates, n_tickers)), index=dates, columns=tickers)
    close = 100 * (1 + rets).cumprod()
    fwd1 = (close.shift(-1) / close - 1).stack()
    fwd1.index.names = ["date", "ticker"]
    return close, fwd1


def test_alphalens_factor_data_and_spread():
    close, fwd1 = prices_and_signal()
    signal = fwd1.loc[: close.index[-12]]  # a perfect 1-day signal; prices reach 11 days beyond it
    data = alphalens_factor_data(signal, close, periods=(1, 5), verbose=False)
    assert list(data.columns) == ["1D", "5D", "factor", "factor_quantile"]
    assert sorted(data["factor_quantile"].unique()) == [1, 2, 3, 4, 5]
    # alphalens' 1D forward return is the same close-to-close return we use
    joined = data["1D"].rename_axis(["date", "ticker"])
    np.testing.assert_allclose(joined.to_numpy(), fwd1.loc[joined.index].to_numpy(), rtol=1e-9)
    spread = quantile_spread(data)
    assert list(spread.index) == ["1D", "5D"]
    assert spread.loc["1D", "mean_bps_per_day"] > 50 and spread.loc["1D", "t_stat"] > 10
    # a random signal has no reliable spread
    noise = pd.Series(np.random.default_rng(5).normal(size=len(signal)), index=signal.index)
    assert (
        abs(
            quantile_spread(alphalens_factor_data(noise, close, periods=(1,), verbose=False)).loc[
                "1D", "t_stat"
            ]
        )
        < 4
    )


def test_alphalens_factor_data_errors(capsys):
    close, fwd1 = prices_and_signal()
    signal = fwd1.loc[: close.index[-12]]
    alphalens_factor_data(signal, close, periods=(1,), verbose=True)
    assert capsys.readouterr().out.startswith("Dropped")
    with pytest.raises(ValueError, match="no prices"):
        alphalens_factor_data(signal, close.drop(columns=["T00"]))
    with pytest.raises(TypeError, match="DataFrame indexed by date"):
        alphalens_factor_data(signal, close.reset_index())
    with pytest.raises(ValueError, match="factor_quantile"):
        quantile_spread(pd.DataFrame({"x": [1.0]}))


def test_alphalens_tables():
    close, fwd1 = prices_and_signal()
    signal = fwd1.loc[: close.index[-12]]
    data = alphalens_factor_data(signal, close, periods=(1, 5), verbose=False)
    t = alphalens_tables(data)
    ret = t["returns"]
    assert list(ret.columns) == ["1D", "5D"] and list(ret.index) == ["1", "2", "3", "4", "5", "top - bottom"]
    assert ret.loc["5", "1D"] > ret.loc["1", "1D"]
    assert ret.loc["top - bottom", "1D"] == pytest.approx(ret.loc["5", "1D"] - ret.loc["1", "1D"])
    assert ret.loc["top - bottom", "1D"] == pytest.approx(
        quantile_spread(data).loc["1D", "mean_bps_per_day"], rel=1e-6
    )
    assert t["information"].loc["1D", "IC Mean"] > 0.9
    assert list(t["turnover"].index) == [
        "top quantile turnover",
        "bottom quantile turnover",
        "rank autocorrelation",
    ]
    assert 0 <= t["turnover"].loc["top quantile turnover", "1D"] <= 1
    with pytest.raises(ValueError, match="factor_quantile"):
        alphalens_tables(pd.DataFrame({"1D": [0.0]}))


def test_tied_names_get_the_same_weight_and_a_constant_signal_is_flat():
    idx, rng = panel(n_dates=3, n_tickers=10)
    flat = pd.Series(0.0, index=idx)  # no view at all
    w = quantile_weights(flat, 5)
    assert (w == 0).all().all()
    nxt = pd.Series(rng.normal(0, 0.01, len(idx)), index=idx)
    out = long_short_returns(flat, nxt)
    assert (out["gross"] == 0).all() and (out["turnover"] == 0).all()
    assert (out["n_long"] == 0).all() and (out["n_short"] == 0).all()
    # three names tied across the top boundary share the top leg's weight equally
    sig = pd.Series(np.tile([0, 1, 2, 3, 4, 5, 6, 7, 7, 7.0], 3), index=idx)
    w = quantile_weights(sig, 5)
    np.testing.assert_allclose(w.iloc[0][["T07", "T08", "T09"]], 1 / 3)
    np.testing.assert_allclose(w.iloc[0][["T00", "T01"]], -1 / 2)
    np.testing.assert_allclose(w.sum(axis=1), 0.0, atol=1e-12)


def test_turnover_charges_the_trades_that_undo_the_drift():
    """Holding the same target weights still trades: winners are trimmed, losers topped up."""
    idx, _ = panel(n_dates=2, n_tickers=10)
    sig = pd.Series(np.tile(np.arange(10.0), 2), index=idx)
    r = np.zeros(10)
    r[9], r[0] = 0.10, 0.10  # one long and one short name rise 10 % on day 0
    nxt = pd.Series(np.r_[r, np.zeros(10)], index=idx)
    out = long_short_returns(sig, nxt, quantiles=5, cost_bps=10)
    g = 0.5 * 0.10 - 0.5 * 0.10  # gross return of day 0
    drifted = np.array([-0.5 * 1.1, -0.5, 0.5, 0.5 * 1.1]) / (1 + g)
    target = np.array([-0.5, -0.5, 0.5, 0.5])
    assert out["turnover"].iloc[0] == pytest.approx(2.0)
    assert out["turnover"].iloc[1] == pytest.approx(np.abs(target - drifted).sum())  # 0.1, not 0
    np.testing.assert_allclose(out["cost"], out["turnover"] * 10 / 1e4)


def test_quantile_spread_agrees_with_alphalens_at_every_horizon():
    close, fwd1 = prices_and_signal()
    signal = fwd1.loc[: close.index[-12]] + pd.Series(
        np.random.default_rng(1).normal(0, 0.02, len(fwd1.loc[: close.index[-12]])),
        index=fwd1.loc[: close.index[-12]].index,
    )
    data = alphalens_factor_data(signal, close, periods=(1, 5, 10), verbose=False)
    # quantiles of unequal size on different dates (as ties or missing stocks give them)
    data = data.drop(data[data["factor_quantile"] == 5].groupby(level=0).head(1).index[::2])
    ours = quantile_spread(data)["mean_bps_per_day"]
    theirs = alphalens_tables(data)["returns"].loc["top - bottom"]
    np.testing.assert_allclose(ours.to_numpy(), theirs[ours.index].to_numpy(), rtol=1e-9)
