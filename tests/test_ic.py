"""Information coefficient: Spearman per date, paired by (date, ticker), summary statistics."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from utils.ic import fold_ic_table, ic_by_date, ic_comparison, ic_summary


def _panel(n_dates=6, n_tickers=30, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.date_range("2020-01-31", periods=n_dates, freq="ME"), [f"T{i:02d}" for i in range(n_tickers)]],
        names=["date", "ticker"],
    )
    ret = pd.Series(rng.normal(size=len(idx)), index=idx)
    return ret


def test_ic_is_spearman_per_date():
    ret = _panel()
    signal = ret * 0.5 + np.random.default_rng(1).normal(size=len(ret))
    ic = ic_by_date(signal, ret)
    assert len(ic) == 6 and ic.index.is_monotonic_increasing
    d = ic.index[2]
    assert ic[d] == pytest.approx(stats.spearmanr(signal.xs(d), ret.xs(d)).statistic)
    assert ic_by_date(ret, ret).eq(1.0).all() and ic_by_date(-ret, ret).eq(-1.0).all()


def test_ic_pairs_by_index_not_by_position():
    ret = _panel()
    signal = ret.copy()
    shuffled = signal.sample(frac=1.0, random_state=3)
    assert ic_by_date(shuffled, ret).eq(1.0).all()  # same pairs whatever the row order
    pd.testing.assert_series_equal(
        ic_by_date(shuffled, ret.sample(frac=1.0, random_state=4)), ic_by_date(signal, ret)
    )
    # pairing by position (the reference notebook's bug) would give a meaningless IC:
    by_position = pd.Series(shuffled.to_numpy(), index=ret.index)
    assert ic_by_date(by_position, ret).abs().mean() < 0.5


def test_ic_skips_missing_rows_and_thin_dates():
    ret = _panel()
    signal = ret.copy()
    signal.iloc[:25] = np.nan  # first date keeps 5 pairs
    ic = ic_by_date(signal, ret, min_obs=10)
    assert len(ic) == 5
    only_part = ic_by_date(signal.iloc[30:60], ret)  # inner join on the index
    assert len(only_part) == 1


def test_ic_summary_by_hand():
    s = ic_summary(pd.Series([0.1, 0.0, 0.2, -0.1]))
    assert s["mean_ic"] == pytest.approx(0.05)
    std = np.std([0.1, 0.0, 0.2, -0.1], ddof=1)
    assert s["std_ic"] == pytest.approx(std) and s["t_stat"] == pytest.approx(0.05 / std * 2)
    assert s["n_dates"] == 4 and s["share_positive"] == pytest.approx(0.5)
    assert s["p_value"] == pytest.approx(stats.ttest_1samp([0.1, 0.0, 0.2, -0.1], 0.0).pvalue)


def test_ic_errors():
    ret = _panel()
    with pytest.raises(TypeError, match="indexed by \\(date, ticker\\)"):
        ic_by_date(ret.to_numpy(), ret)
    with pytest.raises(ValueError, match="share no"):
        ic_by_date(ret.set_axis(ret.index.set_levels([f"Z{i:02d}" for i in range(30)], level=1)), ret)
    with pytest.raises(ValueError, match="duplicate"):
        ic_by_date(pd.concat([ret, ret.iloc[:1]]), ret)
    with pytest.raises(ValueError, match="min_obs"):
        ic_by_date(ret, ret, min_obs=2)
    with pytest.raises(ValueError, match="at least 2 dates"):
        ic_summary(pd.Series([0.1, np.nan]))


# ---------------------------------------------------------------- comparisons of several signals


def _daily_panel(n_dates, n_tickers, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-04", periods=n_dates), [f"T{i:02d}" for i in range(n_tickers)]],
        names=["date", "ticker"],
    )
    return idx, rng


def test_fold_ic_table():
    idx, rng = _daily_panel(n_dates=20, n_tickers=15)
    ret = pd.Series(rng.normal(size=len(idx)), index=idx)
    preds = pd.DataFrame({"perfect": ret, "inverse": -ret}, index=idx)
    fold = pd.Series((idx.get_level_values(0) >= idx.get_level_values(0).unique()[10]).astype(int), index=idx)
    table = fold_ic_table(preds, ret, fold)
    assert list(table.index) == [0, 1]
    np.testing.assert_allclose(table["perfect"], 1.0)
    np.testing.assert_allclose(table["inverse"], -1.0)
    with pytest.raises(ValueError, match="same"):
        fold_ic_table(preds, ret, fold.iloc[:-1])


def test_ic_comparison_steps_over_overlapping_dates():
    idx, rng = _daily_panel(n_dates=40, n_tickers=15)
    ret = pd.Series(rng.normal(size=len(idx)), index=idx)
    preds = pd.DataFrame(
        {"good": ret + rng.normal(size=len(idx)), "noise": rng.normal(size=len(idx))}, index=idx
    )
    table = ic_comparison(preds, ret)
    assert list(table.columns) == ["mean_ic", "t_stat", "p_value", "hit_rate", "n_dates"]
    assert table.loc["good", "mean_ic"] > 0.5 and table.loc["good", "hit_rate"] == 1.0
    assert table.loc["good", "n_dates"] == 40
    assert ic_comparison(preds, ret, step=5).loc["good", "n_dates"] == 8
    with pytest.raises(ValueError, match="step"):
        ic_comparison(preds, ret, step=0)
