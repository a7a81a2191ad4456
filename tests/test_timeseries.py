"""No look-ahead in the single-series helpers: features at t use data up to t, labels are after t."""

import numpy as np
import pandas as pd
import pytest

from utils.timeseries import (
    cross_sectional_quantile,
    forecast_metrics,
    forward_returns,
    make_panel_supervised,
    make_supervised,
    momentum,
    monthly_returns,
    panel_forward,
    panel_lags,
    returns,
    short_term_reversal,
    split_by_date,
    to_sequences,
    winsorize_by_date,
)


def _series(n=30, seed=0):
    rng = np.random.default_rng(seed)
    return pd.Series(rng.normal(size=n), index=pd.bdate_range("2020-01-01", periods=n), name="r")


def test_returns_simple_and_log():
    prices = pd.Series([100.0, 110.0, 99.0], index=pd.bdate_range("2020-01-01", periods=3))
    np.testing.assert_allclose(returns(prices), [0.1, -0.1])
    np.testing.assert_allclose(returns(prices, "log"), np.log([1.1, 0.9]))
    with pytest.raises(ValueError, match="kind must be"):
        returns(prices, "pct")
    with pytest.raises(ValueError, match="positive"):
        returns(prices - 100)


def test_lags_use_only_the_past_and_labels_only_the_future():
    s = _series()
    X, y = make_supervised(s, n_lags=3, horizon=2)
    assert list(X.columns) == ["lag_1", "lag_2", "lag_3"]
    for t in X.index:
        loc = s.index.get_loc(t)
        assert X.loc[t, "lag_1"] == s.iloc[loc] and X.loc[t, "lag_3"] == s.iloc[loc - 2]
        assert y.loc[t] == s.iloc[loc + 2]
    assert X.index[0] == s.index[2] and X.index[-1] == s.index[-3]


def test_changing_the_future_does_not_change_past_features():
    s = _series()
    X, _ = make_supervised(s, n_lags=5)
    cut = s.index[15]
    s2 = s.copy()
    s2[s2.index > cut] += 100.0  # rewrite the future
    X2, y2 = make_supervised(s2, n_lags=5)
    pd.testing.assert_frame_equal(X[X.index <= cut], X2[X2.index <= cut])
    assert (y2[y2.index >= cut] > 50).all()  # labels at and after the cut see the new future


def test_make_supervised_errors():
    with pytest.raises(TypeError, match="pandas Series"):
        make_supervised(np.arange(5), 2)
    with pytest.raises(ValueError, match="n_lags and horizon must be >= 1"):
        make_supervised(_series(), 0)
    with pytest.raises(ValueError, match="sorted by date"):
        make_supervised(_series().iloc[::-1], 2)


def test_split_by_date_in_time_order_with_gap():
    s = _series(20)
    train, val, test = split_by_date(s, s.index[9], s.index[14], gap=1)
    assert train.index.max() < val.index.min() and val.index.max() < test.index.min()
    assert len(train) == 10 and len(val) == 4 and len(test) == 4  # one row dropped after each boundary
    with pytest.raises(ValueError, match="must come before"):
        split_by_date(s, s.index[14], s.index[9])
    with pytest.raises(ValueError, match="empty period"):
        split_by_date(s, s.index[18], s.index[19])


# ---------------------------------------------------------------- 3-D input and metrics


def test_to_sequences_puts_the_oldest_lag_first():
    X, _ = make_supervised(_series(), n_lags=4)
    seq = to_sequences(X)
    assert seq.shape == (len(X), 4, 1) and seq.dtype == np.float32
    np.testing.assert_allclose(seq[:, -1, 0], X["lag_1"].to_numpy(dtype="float32"))  # newest last
    np.testing.assert_allclose(seq[:, 0, 0], X["lag_4"].to_numpy(dtype="float32"))  # oldest first
    two = to_sequences(np.arange(12).reshape(2, 6), n_features=2)  # (lag1 f1, lag1 f2, lag2 f1, ...)
    assert two.shape == (2, 3, 2) and two[0, -1].tolist() == [0, 1] and two[0, 0].tolist() == [4, 5]
    with pytest.raises(ValueError, match="cannot be split"):
        to_sequences(np.zeros((2, 5)), n_features=2)
    with pytest.raises(ValueError, match="2-D table"):
        to_sequences(np.zeros(5))


def test_forecast_metrics_by_hand():
    m = forecast_metrics([1.0, -1.0, 2.0, -2.0], [0.5, 0.5, 0.0, -1.0])
    assert m["rmse"] == pytest.approx(np.sqrt((0.25 + 2.25 + 4 + 1) / 4))
    assert m["mae"] == pytest.approx((0.5 + 1.5 + 2 + 1) / 4)
    assert m["hit_rate"] == pytest.approx(0.5)  # zero forecast counts as a miss
    m = forecast_metrics([0.01, -0.02, 0.03, 0.0], [0.02, 0.01, 0.01, 0.05])
    assert m["hit_rate"] == pytest.approx(2 / 3)  # a period with a zero outcome does not count
    assert np.isnan(forecast_metrics([0.01, -0.02], [0.0, 0.0])["hit_rate"])  # no direction, no hit rate
    with pytest.raises(ValueError, match="same length"):
        forecast_metrics([1, 2], [1])
    with pytest.raises(ValueError, match="finite"):
        forecast_metrics([1, np.nan], [1, 2])


# ---------------------------------------------------------------- (date, ticker) panels
def _panel(n_dates=30, tickers=("AAA", "BBB", "CCC"), seed=1):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2020-01-01", periods=n_dates), list(tickers)], names=["date", "ticker"]
    )
    return pd.Series(rng.normal(size=len(idx)), index=idx, name="r")


def _shuffled(s, seed=3):
    return s.iloc[np.random.default_rng(seed).permutation(len(s))]


def test_panel_lags_and_labels_stay_with_their_ticker_and_date():
    s = _panel()
    X, y = make_panel_supervised(s, n_lags=3, horizon=2)
    dates = s.index.get_level_values(0).unique().sort_values()
    assert X.index.equals(y.index)
    for (t, tic), row in X.sample(20, random_state=0).iterrows():
        i = dates.get_loc(t)
        assert row["lag_1"] == s[(t, tic)] and row["lag_3"] == s[(dates[i - 2], tic)]
        assert y[(t, tic)] == s[(dates[i + 2], tic)]  # label strictly after t, same ticker
    assert X.index.get_level_values(0).min() == dates[2] and X.index.get_level_values(0).max() == dates[-3]


def test_panel_features_never_see_the_future():
    s = _panel()
    X, _ = make_panel_supervised(s, n_lags=5, horizon=1)
    cut = s.index.get_level_values(0).unique()[15]
    s2 = s.copy()
    s2[s2.index.get_level_values(0) > cut] += 100.0  # rewrite every ticker's future
    X2, y2 = make_panel_supervised(s2, n_lags=5, horizon=1)
    past = X.index.get_level_values(0) <= cut
    pd.testing.assert_frame_equal(X[past], X2[X2.index.get_level_values(0) <= cut])
    assert (y2[y2.index.get_level_values(0) >= cut] > 50).all()  # labels from t = cut on are in the future


def test_panel_builders_ignore_row_order():
    s = _panel()
    shuffled = _shuffled(s)
    for fn in (
        lambda v: panel_lags(v, 4),
        lambda v: panel_forward(v, 2),
        lambda v: momentum(v, 6, 1),
        lambda v: winsorize_by_date(v, 0.1, 0.9)[0],
    ):
        a, b = fn(s), fn(shuffled)
        (pd.testing.assert_frame_equal if isinstance(a, pd.DataFrame) else pd.testing.assert_series_equal)(
            a.sort_index(), b.sort_index()
        )
    Xa, ya = make_panel_supervised(s, 3)
    Xb, yb = make_panel_supervised(shuffled, 3)
    pd.testing.assert_frame_equal(Xa, Xb)
    pd.testing.assert_series_equal(ya, yb)


def test_panel_lags_respect_missing_dates():
    s = _panel().drop(index=(pd.Timestamp("2020-01-10"), "BBB"))  # one hole in BBB
    X = panel_lags(s, 2)
    dates = s.index.get_level_values(0).unique().sort_values()
    nxt = dates[dates.get_loc(pd.Timestamp("2020-01-10")) + 1]
    assert (nxt, "BBB") not in X.index  # its lag_2 would be the missing date, not an older one
    assert (nxt, "AAA") in X.index


def test_panel_errors():
    with pytest.raises(TypeError, match="indexed by \\(date, ticker\\)"):
        panel_lags(_panel().to_frame(), 2)
    with pytest.raises(ValueError, match="2-level"):
        panel_lags(_series(), 2)
    with pytest.raises(ValueError, match="duplicate"):
        panel_lags(pd.concat([_panel(), _panel().iloc[:1]]), 2)
    with pytest.raises(ValueError, match="n_lags must be >= 1"):
        panel_lags(_panel(), 0)
    with pytest.raises(ValueError, match="strictly after t"):
        panel_forward(_panel(), 0)
    with pytest.raises(ValueError, match="skip < lookback"):
        momentum(_panel(), 3, 3)
    with pytest.raises(ValueError, match="lower < upper"):
        winsorize_by_date(_panel(), 0.9, 0.1)


def _prices(days=("2020-01-30", "2020-01-31", "2020-02-27", "2020-02-28", "2020-03-31", "2020-04-15")):
    idx = pd.MultiIndex.from_product([pd.DatetimeIndex(days), ["AAA", "BBB"]], names=["date", "ticker"])
    aaa = [10, 11, 12, 13.2, 6.6, 7]
    bbb = [20, 20, 21, 22, 44, 40]
    return pd.Series(np.ravel(np.column_stack([aaa, bbb])), index=idx, name="close")


def test_monthly_and_forward_returns_by_hand():
    p = _prices()
    m = monthly_returns(p)  # April is incomplete (data stop on the 15th) and is dropped
    assert sorted(m.index.get_level_values(0).unique().strftime("%Y-%m")) == ["2020-02", "2020-03"]
    assert m[(pd.Timestamp("2020-02-29"), "AAA")] == pytest.approx(13.2 / 11 - 1)
    assert m[(pd.Timestamp("2020-03-31"), "AAA")] == pytest.approx(-0.5)
    assert m[(pd.Timestamp("2020-03-31"), "BBB")] == pytest.approx(1.0)
    assert len(monthly_returns(p, drop_incomplete_last=False).xs("AAA", level=1)) == 3
    pd.testing.assert_series_equal(m, monthly_returns(_shuffled(p)))
    f = forward_returns(p, 2)
    assert f[(pd.Timestamp("2020-01-30"), "BBB")] == pytest.approx(21 / 20 - 1)
    assert f.index.get_level_values(0).max() == pd.Timestamp("2020-02-28")  # no label without a future
    with pytest.raises(ValueError, match="positive"):
        forward_returns(p - 100, 1)
    with pytest.raises(ValueError, match="positive"):
        monthly_returns(p - 100)


def test_momentum_skips_the_last_month_and_winsorize_clips_per_date():
    s = _panel(n_dates=8, tickers=("AAA", "BBB"))
    mom = momentum(s, lookback=4, skip=1)
    t = mom.index[0]
    dates = s.index.get_level_values(0).unique()
    i = dates.get_loc(t[0])
    expected = np.prod([1 + s[(dates[i - k], t[1])] for k in (1, 2, 3)]) - 1  # t-1, t-2, t-3; not t
    assert mom[t] == pytest.approx(expected)
    wide = _panel(n_dates=2, tickers=[f"T{i}" for i in range(101)])
    clipped, n = winsorize_by_date(wide, 0.05, 0.95)
    assert n == 2 * 10  # 5 clipped at each end of each date
    for _, g in clipped.groupby(level=0):
        assert g.max() == pytest.approx(wide.loc[g.index].quantile(0.95))


def test_monthly_returns_do_not_see_later_prices():
    days = pd.bdate_range("2020-01-01", "2020-06-30")
    idx = pd.MultiIndex.from_product([days, ["AAA", "BBB"]], names=["date", "ticker"])
    p = pd.Series(np.exp(np.random.default_rng(0).normal(0, 0.01, len(idx)).cumsum()), index=idx)
    m = monthly_returns(p)
    p2 = p.copy()
    p2[p2.index.get_level_values(0) > pd.Timestamp("2020-03-31")] *= 3.0  # rewrite April onwards
    m2 = monthly_returns(p2)
    early = m.index.get_level_values(0) <= pd.Timestamp("2020-03-31")
    pd.testing.assert_series_equal(m[early], m2[m2.index.get_level_values(0) <= pd.Timestamp("2020-03-31")])
    assert not np.isclose(m2[(pd.Timestamp("2020-04-30"), "AAA")], m[(pd.Timestamp("2020-04-30"), "AAA")])


def test_diebold_mariano():
    from utils.timeseries import diebold_mariano

    rng = np.random.default_rng(0)
    y = rng.normal(size=500)
    good, bad = y + rng.normal(0, 0.5, 500), y + rng.normal(0, 1.5, 500)
    res = diebold_mariano(y, good, bad)
    assert res["dm_stat"] < -5 and res["p_value"] < 1e-6  # `good` has the smaller errors
    assert diebold_mariano(y, bad, good)["dm_stat"] == pytest.approx(-res["dm_stat"])
    d = (good - y) ** 2 - (bad - y) ** 2  # by hand for horizon 1
    assert res["dm_stat"] == pytest.approx(d.mean() / np.sqrt(d.var() / len(d)))
    noise = [
        diebold_mariano(y, y + rng.normal(size=500), y + rng.normal(size=500))["p_value"] for _ in range(3)
    ]
    assert max(noise) > 0.01  # two equally good forecasts are not told apart
    assert np.isfinite(diebold_mariano(y, good, bad, horizon=5)["dm_stat"])
    with pytest.raises(ValueError, match="identical squared errors"):
        diebold_mariano(y, good, good)
    with pytest.raises(ValueError, match="same length"):
        diebold_mariano(y, good[:10], bad)


def test_cross_sectional_quantile():
    idx = pd.MultiIndex.from_product([pd.bdate_range("2020-01-01", periods=2), list("abcde")])
    v = pd.Series(np.arange(10.0), index=idx)
    q = cross_sectional_quantile(v, 5)
    assert q.tolist() == [0, 1, 2, 3, 4] * 2
    with pytest.raises(ValueError, match="integer >= 2"):
        cross_sectional_quantile(v, 1)
    v.iloc[3] = np.nan  # a missing value stays missing; the others re-bucket
    q = cross_sectional_quantile(v, 2)
    assert np.isnan(q.iloc[3]) and q.iloc[:5].tolist()[:3] == [0, 0, 1]


def test_short_term_reversal_uses_past_prices_only():
    rng = np.random.default_rng(0)
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-04", periods=12), ["T00", "T01", "T02"]], names=["date", "ticker"]
    )
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(idx)))), index=idx)
    rev = short_term_reversal(close, window=5)
    d = idx.get_level_values(0).unique()
    expected = -(close.loc[(d[7], "T01")] / close.loc[(d[2], "T01")] - 1)
    assert rev.loc[(d[7], "T01")] == pytest.approx(expected)
    assert rev.index.get_level_values(0).min() == d[5]  # the first 5 dates have no past return
    # no look-ahead: altering prices after t leaves the factor at t unchanged
    later = close.copy()
    later.loc[d[8] :] *= 3.0
    pd.testing.assert_series_equal(short_term_reversal(later, 5).loc[: d[7]], rev.loc[: d[7]])
    with pytest.raises(ValueError, match="positive"):
        short_term_reversal(close * 0, 5)
    with pytest.raises(ValueError, match="window"):
        short_term_reversal(close, 0)
    with pytest.raises(TypeError, match="date, ticker"):
        short_term_reversal(close.droplevel(1), 5)


def test_split_by_date_on_a_panel_counts_dates_not_rows():
    """gap=2 on a (date, ticker) panel purges two dates, however many tickers a date holds."""
    dates = pd.bdate_range("2016-01-04", periods=12)
    idx = pd.MultiIndex.from_product([dates, ["A", "B", "C"]], names=["date", "ticker"])
    panel = pd.Series(np.arange(len(idx), dtype=float), index=idx)
    train, val, test = split_by_date(panel, dates[3], dates[7], gap=2)
    day = lambda part: part.index.get_level_values("date").unique()  # noqa: E731
    assert list(day(train)) == list(dates[:4])
    assert list(day(val)) == list(dates[6:8])  # dates[4] and dates[5] purged
    assert list(day(test)) == list(dates[10:])  # dates[8] and dates[9] purged
    assert len(val) == 2 * 3 and len(test) == 2 * 3
