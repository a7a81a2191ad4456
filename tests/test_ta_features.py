"""Tests of utils.ta_features: cleaning rules, indicators (no look-ahead), labels (strictly future)."""

import numpy as np
import pandas as pd
import pytest

from utils.ta_features import (
    INDICATORS,
    bhs_labels,
    clean_prices,
    compute_features,
    feature_columns,
    make_labels,
    missing_days,
    ticker_features,
    truncation_gap,
)

WINDOWS = (6, 13, 20)


def synthetic_prices(n=160, tickers=("AAA", "BBB", "CCC"), seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2015-01-01", periods=n)
    frames = []
    for k, t in enumerate(tickers):
        close = 50 * (1 + k) * np.exp(np.cumsum(rng.normal(0, 0.015, n)))
        openp = close * (1 + rng.normal(0, 0.005, n))
        high = np.maximum(openp, close) * (1 + rng.uniform(0, 0.01, n))
        low = np.minimum(openp, close) * (1 - rng.uniform(0, 0.01, n))
        vol = rng.integers(1_000, 10_000, n).astype(float)
        frames.append(
            pd.DataFrame(
                {
                    "open": openp,
                    "high": high,
                    "low": low,
                    "close": close,
                    "volume": vol,
                    "date": dates,
                    "ticker": t,
                }
            )
        )
    return pd.concat(frames).set_index(["date", "ticker"]).sort_index()


@pytest.fixture(scope="module")
def prices():
    return synthetic_prices()


def test_feature_columns_names():
    cols = feature_columns(["rsi", "sma"], (6, 20))
    assert cols == ["rsi_06", "rsi_20", "sma_06", "sma_20"]
    assert len(INDICATORS) >= 20


def test_ticker_features_shape_and_errors(prices):
    one = prices.xs("AAA", level="ticker")
    out = ticker_features(one, INDICATORS, WINDOWS)
    assert out.shape == (len(one), len(INDICATORS) * len(WINDOWS))
    assert np.isfinite(out[-1]).all()
    with pytest.raises(KeyError, match="unknown indicators"):
        ticker_features(one, ["nope"], WINDOWS)
    with pytest.raises(ValueError, match="windows"):
        ticker_features(one, ["rsi"], (1,))


def test_every_indicator_has_no_look_ahead(prices):
    """(a) features at t do not change when prices after t are altered or removed."""
    one = prices.xs("BBB", level="ticker")
    dates = one.index[[80, 120, 158]]
    gap = truncation_gap(prices, "BBB", dates, INDICATORS, WINDOWS)
    assert (gap == 0).all(), gap[gap > 0]
    full = compute_features(prices, INDICATORS, WINDOWS, log=None)
    cut = one.index[100]
    altered = prices.copy()
    later = altered.index.get_level_values("date") > cut
    altered.loc[later, ["open", "high", "low", "close"]] *= 3.0
    altered.loc[later, "volume"] *= 7.0
    alt = compute_features(altered, INDICATORS, WINDOWS, log=None)
    pd.testing.assert_frame_equal(full.loc[:cut], alt.loc[:cut])
    assert not np.allclose(full.loc[one.index[-1]].to_numpy(), alt.loc[one.index[-1]].to_numpy())


def test_truncation_gap_detects_look_ahead(prices, monkeypatch):
    import utils.ta_features as m

    funcs = m._indicators()
    leaky = dict(funcs, rsi=lambda o, h, l, c, v, w: np.r_[c[1:], np.nan])  # tomorrow's close
    monkeypatch.setattr(m, "_indicators", lambda: leaky)
    one = prices.xs("AAA", level="ticker")
    gap = m.truncation_gap(prices, "AAA", one.index[[50]], ["rsi", "sma"], WINDOWS)
    assert gap["rsi"] > 0 and gap["sma"] == 0


def test_compute_features_dtype_warmup_and_errors(prices):
    logs = []
    feats = compute_features(prices, ["rsi", "tema"], WINDOWS, log=logs.append, every=2)
    assert feats.dtypes.unique().tolist() == [np.dtype("float32")]
    assert not feats.isna().any().any() and feats.index.is_monotonic_increasing
    assert len(feats) < len(prices) and len(logs) == 2
    with pytest.raises(TypeError):
        compute_features(prices.reset_index(), ["rsi"], WINDOWS)
    with pytest.raises(ValueError, match="lack the columns"):
        compute_features(prices.drop(columns="volume"), ["rsi"], WINDOWS)


def test_clean_prices_rules():
    p = synthetic_prices(n=40, tickers=("AAA", "BBB"))
    d = p.index.get_level_values("date").unique()
    p.loc[(d[3], "AAA"), "open"] = np.nan  # missing_ohl
    p.loc[(d[5], "AAA"), "volume"] = 0.0  # zero_volume
    p.loc[(d[10], "BBB"), "close"] *= 3.0  # glitch (comes back)
    later = (p.index.get_level_values("ticker") == "AAA") & (p.index.get_level_values("date") >= d[20])
    p.loc[later, ["open", "high", "low", "close"]] *= 0.4  # unadjusted spin-off gap
    clean, report = clean_prices(p)
    assert clean[["open", "high", "low"]].notna().all().all()
    assert (d[5], "AAA") not in clean.index and (d[10], "BBB") not in clean.index  # zero volume, glitch
    assert len(clean) == len(p) - 2
    r = clean.xs("AAA", level="ticker")["close"].pct_change()
    assert r.abs().max() < 0.3
    assert (clean["low"] <= clean[["open", "close"]].min(axis=1)).all()
    assert (clean["high"] >= clean[["open", "close"]].max(axis=1)).all()
    assert len(report) >= 4
    with pytest.raises(ValueError, match="duplicate"):
        clean_prices(pd.concat([p, p.iloc[:1]]))


def test_missing_days():
    p = synthetic_prices(n=30, tickers=("AAA", "BBB"))
    d = p.index.get_level_values("date").unique()
    p = p.drop(index=[(d[10], "AAA"), (d[11], "AAA")])
    gaps = missing_days(p)
    assert gaps.to_dict() == {"AAA": 2}


def test_labels_are_strictly_future_and_nan_at_the_end(prices):
    """(b) labels at t use prices after t only; NaN where the future is missing."""
    close = prices["close"]
    lab = make_labels(close, horizons=(1, 5), quantiles=5, bhs_window=11)
    a = close.xs("AAA", level="ticker")
    la = lab.xs("AAA", level="ticker")
    assert la["fwd_ret_01d"].iloc[10] == pytest.approx(a.iloc[11] / a.iloc[10] - 1)
    assert la["fwd_ret_05d"].iloc[10] == pytest.approx(a.iloc[15] / a.iloc[10] - 1)
    assert la["fwd_ret_01d"].iloc[-1:].isna().all() and la["fwd_ret_05d"].iloc[-5:].isna().all()
    assert la["fwd_ret_05d"].iloc[:-5].notna().all()
    # changing prices up to t (scaling the past) leaves the 1-day label at t-? untouched beyond t
    cut = a.index[100]
    altered = close.copy()
    later = altered.index.get_level_values("date") > cut
    altered[later] *= 1.5
    lab2 = make_labels(altered, horizons=(1, 5), bhs_window=None)
    idx = lab.index.get_level_values("date") <= cut - pd.tseries.offsets.BDay(5)
    pd.testing.assert_series_equal(lab.loc[idx, "fwd_ret_05d"], lab2.loc[idx, "fwd_ret_05d"])
    assert not np.allclose(lab.loc[(cut, "AAA"), "fwd_ret_01d"], lab2.loc[(cut, "AAA"), "fwd_ret_01d"])
    q = lab["fwd_q_05d"].dropna()
    assert set(np.unique(q)) <= {0, 1, 2, 3, 4}
    with pytest.raises(TypeError):
        make_labels(a)


def test_missing_future_day_gives_nan():
    p = synthetic_prices(n=30, tickers=("AAA", "BBB"))
    d = p.index.get_level_values("date").unique()
    p = p.drop(index=[(d[11], "AAA")])
    lab = make_labels(p["close"], horizons=(1,), bhs_window=None)
    assert np.isnan(lab.loc[(d[10], "AAA"), "fwd_ret_01d"])


def test_bhs_labels():
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2020-01-01", periods=15), ["X"]], names=["date", "ticker"]
    )
    close = pd.Series([5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7, 6, 5, 4, 3], index=idx, dtype=float)
    lab = bhs_labels(close, 5).xs("X", level="ticker")
    assert lab.iloc[4] == 0 and lab.iloc[10] == 2 and lab.iloc[6] == 1
    assert lab.iloc[:2].isna().all() and lab.iloc[-2:].isna().all()
    with pytest.raises(ValueError, match="odd"):
        bhs_labels(close, 4)


def tick_prices(n=140, event=100, glitch=70, seed=2):
    """One ticker in whole cents (so up-moves and down-moves often tie, as in real files),
    with a one-day glitch of the close and an unadjusted spin-off gap."""
    rng = np.random.default_rng(seed)
    cents = 4000 + np.cumsum(rng.integers(-3, 4, n))
    openc = cents + rng.integers(-2, 3, n)
    frame = pd.DataFrame(
        {
            "open": openc / 100,
            "high": (np.maximum(openc, cents) + rng.integers(0, 3, n)) / 100,
            "low": (np.minimum(openc, cents) - rng.integers(0, 3, n)) / 100,
            "close": cents / 100,
        }
    )
    frame.iloc[event:] = np.round(frame.iloc[event:] * 0.37, 2)  # spin-off the file did not adjust
    frame.loc[glitch, "close"] = frame.loc[glitch - 1, "close"] * 2.0  # comes back the next day
    frame["high"] = frame[["open", "high", "close"]].max(axis=1)
    frame["volume"] = rng.integers(1_000, 10_000, n).astype(float)
    frame["date"], frame["ticker"] = pd.bdate_range("2015-01-01", periods=n), "AAA"
    return frame.set_index(["date", "ticker"])


def test_cleaning_uses_no_later_price():
    """Features at t from the raw file cut at t (then cleaned) equal those of the whole file:
    before, at and after the spin-off and the glitch."""
    raw = tick_prices()
    dates = raw.index.get_level_values("date")
    full = compute_features(clean_prices(raw)[0], INDICATORS, WINDOWS, log=None)
    checked = 0
    for k in [68, 69, 70, 71, 72, 90, 99, 100, 101, 110, 139]:
        cut = compute_features(clean_prices(raw[dates <= dates[k]])[0], INDICATORS, WINDOWS, log=None)
        if dates[k] not in full.index.get_level_values("date"):
            continue  # a row the cleaning of the whole file dropped has no features at all
        np.testing.assert_array_equal(cut.iloc[-1].to_numpy(), full.loc[dates[k]].iloc[0].to_numpy())
        checked += 1
    assert checked >= 10
    # every earlier row, too: cut the day before the event
    before = compute_features(clean_prices(raw[dates < dates[100]])[0], INDICATORS, WINDOWS, log=None)
    pd.testing.assert_frame_equal(before, full.loc[: dates[99]], check_exact=True)
    # the same check through truncation_gap, which cuts the raw file before cleaning
    gap = truncation_gap(
        raw, "AAA", dates[[69, 70, 71, 99, 100, 101, 139]], INDICATORS, WINDOWS, clean_prices
    )
    assert (gap == 0).all(), gap[gap > 0]
