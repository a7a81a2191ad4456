"""Walk-forward splits: time order, purge gaps, and independence from row order."""

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from utils.walk_forward import Fold, WalkForward, fold_rows, walk_forward_predict


def _panel(n_dates=40, n_tickers=5, freq="ME", seed=0):
    dates = pd.date_range("2015-01-31", periods=n_dates, freq=freq)
    idx = pd.MultiIndex.from_product([dates, [f"T{i}" for i in range(n_tickers)]], names=["date", "ticker"])
    return pd.DataFrame({"x": np.random.default_rng(seed).normal(size=len(idx))}, index=idx)


def _n_between(dates, a, b):
    """Distinct dates strictly between a and b."""
    return int(((dates > a) & (dates < b)).sum())


@pytest.mark.parametrize("purge,val_size,freq", [(0, 0, "ME"), (1, 0, "ME"), (3, 4, "ME"), (5, 10, "B")])
def test_no_training_date_inside_or_after_the_purge_gap(purge, val_size, freq):
    df = _panel(n_dates=60, freq=freq)
    dates = df.index.get_level_values(0).unique()
    cv = WalkForward(train_size=24, test_size=2, purge=purge, val_size=val_size)
    folds = list(cv.split(df))
    assert len(folds) == cv.get_n_splits(df) > 0
    for f in folds:
        d = df.index.get_level_values(0)
        train, val, test = d[f.train], d[f.val], d[f.test]
        assert train.max() < test.min()
        assert _n_between(dates, train.max(), test.min()) >= purge  # the gap holds `purge` dates
        if val_size:
            assert train.max() < val.min() and val.max() < test.min()
            assert _n_between(dates, train.max(), val.min()) >= purge
            assert _n_between(dates, val.max(), test.min()) == purge
            assert len(f.val_dates) == val_size
            assert len(f.train_dates) == 24 - val_size - purge
        else:
            assert len(f.val) == 0 and _n_between(dates, train.max(), test.min()) == purge
            assert len(f.train_dates) == 24
        assert len(f.test_dates) == 2
        assert set(f.train).isdisjoint(f.test) and set(f.val).isdisjoint(f.test)


def test_folds_in_time_order_with_non_overlapping_tests_and_labels_realised_before_test():
    df = _panel(n_dates=40)
    horizon = 2
    folds = list(WalkForward(train_size=12, test_size=3, purge=horizon).split(df))
    starts = [f.test_dates[0] for f in folds]
    assert starts == sorted(starts)
    for a, b in pairwise(folds):
        assert a.test_dates[-1] < b.test_dates[0]
    dates = df.index.get_level_values(0).unique()
    for f in folds:  # a training label at t is realised at t + horizon: strictly before the test starts
        last_label = dates[dates.get_loc(f.train_dates[-1]) + horizon]
        assert last_label < f.test_dates[0]
    assert folds[-1].test_dates[-1] <= dates[-1]


def test_shuffled_rows_give_the_same_folds_on_the_same_rows():
    df = _panel()
    shuffled = df.sample(frac=1.0, random_state=7)
    cv = WalkForward(train_size=12, test_size=1, purge=1, val_size=3)
    for a, b in zip(cv.split(df), cv.split(shuffled)):
        assert a.test_dates.equals(b.test_dates) and a.train_dates.equals(b.train_dates)
        for part in ("train", "val", "test"):  # same (date, ticker) rows and same values
            left = df.iloc[getattr(a, part)].sort_index()
            right = shuffled.iloc[getattr(b, part)].sort_index()
            pd.testing.assert_frame_equal(left, right)


def test_expanding_window_and_n_splits_and_plain_date_index():
    s = pd.Series(range(30), index=pd.bdate_range("2021-01-01", periods=30))
    folds = list(WalkForward(train_size=10, test_size=5, purge=1, expanding=True).split(s))
    assert all(f.train_dates[0] == s.index[0] for f in folds)
    assert [len(f.train) for f in folds] == [10, 15, 20]
    last2 = list(WalkForward(train_size=10, test_size=5, purge=1, n_splits=2).split(s))
    assert [f.test_dates[0] for f in last2] == [f.test_dates[0] for f in folds[-2:]]
    assert isinstance(folds[0], Fold) and "train" in repr(folds[0])


def test_walk_forward_errors():
    with pytest.raises(ValueError, match="train_size must be an integer >= 1"):
        WalkForward(train_size=0)
    with pytest.raises(ValueError, match="purge must be an integer >= 0"):
        WalkForward(train_size=5, purge=-1)
    with pytest.raises(ValueError, match="leaves no inner training dates"):
        WalkForward(train_size=5, val_size=4, purge=1)
    with pytest.raises(ValueError, match="too few"):
        list(WalkForward(train_size=50).split(_panel(n_dates=20)))
    with pytest.raises(TypeError, match="must hold dates"):
        list(WalkForward(train_size=2).split(pd.Series(range(5), index=list("abcde"))))
    with pytest.raises(TypeError, match="pandas object"):
        list(WalkForward(train_size=2).split(np.arange(5)))


# ---------------------------------------------------------------- walk_forward_predict


def _xy(n_dates=20, seed=0):
    df = _panel(n_dates=n_dates, seed=seed)
    y = pd.Series(np.random.default_rng(seed + 1).normal(size=len(df)), index=df.index, name="y")
    return df, y


def test_walk_forward_predict_never_shows_test_labels_and_keeps_pairs():
    X, y = _xy()
    cv = WalkForward(train_size=8, test_size=2, purge=1, val_size=2)
    seen = []

    def fit_predict(X_tr, y_tr, X_va, y_va, X_te):
        seen.append((X_tr.index.get_level_values(0).max(), X_te.index.get_level_values(0).min()))
        assert X_tr.index.equals(y_tr.index) and X_va.index.equals(y_va.index)
        assert y_tr.index.get_level_values(0).max() < X_te.index.get_level_values(0).min()
        return X_te["x"].to_numpy() * 2, {"best_epoch": 3}

    pred, folds = walk_forward_predict(cv, X, y, fit_predict, log=lambda line: None)
    assert len(folds) == cv.get_n_splits(X) == len(seen) and (folds["best_epoch"] == 3).all()
    pd.testing.assert_series_equal(
        pred, (X["x"] * 2).loc[pred.index].rename("prediction")
    )  # row-wise pairing
    assert pred.index.is_monotonic_increasing and pred.index.is_unique
    # the same result when the panel's rows come in another order
    order = np.random.default_rng(5).permutation(len(X))
    pred2, _ = walk_forward_predict(cv, X.iloc[order], y.iloc[order], fit_predict)
    pd.testing.assert_series_equal(pred, pred2)


def test_walk_forward_predict_errors():
    X, y = _xy()
    cv = WalkForward(train_size=8, test_size=2)
    with pytest.raises(ValueError, match="share the same index"):
        walk_forward_predict(cv, X, y.iloc[::-1], lambda *a: a[-1]["x"])
    with pytest.raises(TypeError, match="pandas"):
        walk_forward_predict(cv, X.to_numpy(), y, lambda *a: a[-1]["x"])
    with pytest.raises(ValueError, match="returned 1 predictions"):
        walk_forward_predict(cv, X, y, lambda *a: [0.0])


# ---------------------------------------------------------------- fold dates as ISO strings, and back


def test_fold_rows_from_iso_dates():
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-04", periods=30), ["T0", "T1", "T2", "T3"]], names=["date", "ticker"]
    )
    d = [x.date().isoformat() for x in idx.get_level_values(0).unique()]
    fold = {
        "number": 0,
        "train_start": d[0],
        "train_end": d[9],
        "val_start": d[12],
        "val_end": d[17],
        "test_start": d[20],
        "test_end": d[24],
    }
    rows = fold_rows(idx, fold)
    assert [len(rows[k]) for k in ("train", "val", "test")] == [40, 24, 20]
    assert idx[rows["test"][0]][0] == pd.Timestamp(d[20]) and idx[rows["test"][-1]][0] == pd.Timestamp(d[24])
    with pytest.raises(ValueError, match="overlap"):
        fold_rows(idx, {**fold, "val_start": d[5]})
    with pytest.raises(ValueError, match="no rows"):
        fold_rows(idx, {**fold, "test_start": "2030-01-01", "test_end": "2030-02-01"})
    with pytest.raises(ValueError, match="ISO dates"):
        fold_rows(idx, {"number": 1})


def test_iso_dates_round_trip_through_fold_rows():
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-04", periods=40), ["A", "B"]], names=["date", "ticker"]
    )
    cv = WalkForward(train_size=15, test_size=5, purge=2, val_size=5, n_splits=2)
    for fold in cv.split(idx.to_frame(index=False).set_index(["date", "ticker"])):
        dates = fold.iso_dates()
        assert list(dates) == ["train_start", "train_end", "val_start", "val_end", "test_start", "test_end"]
        rows = fold_rows(idx, dates)
        for part in ("train", "val", "test"):
            np.testing.assert_array_equal(rows[part], getattr(fold, part))
    empty = WalkForward(train_size=15, test_size=5).split(pd.Series(0, index=idx))
    assert next(empty).iso_dates()["val_start"] is None
