"""No look-ahead in the single-series helpers: features at t use data up to t, labels are after t."""
import numpy as np
import pandas as pd
import pytest

from utils.timeseries import make_supervised, returns, split_by_date


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
