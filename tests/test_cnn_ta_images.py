"""Tests of utils.cnn_ta_images: per-fold selection and clustering use training rows only;
an image at t is the feature row of t."""
import numpy as np
import pandas as pd
import pytest

from utils.cnn_ta_images import (cluster_order, fold_layouts, indicator_grid, rank_indicators,
                                 select_and_cluster, selection_stability, split_column, standardize,
                                 to_images, training_sample)
from utils.walk_forward import WalkForward

NAMES = ["a", "b", "c", "d", "e", "f"]
WINDOWS = [6, 7, 8, 9]


def panel(n_dates=120, n_tickers=8, seed=0):
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product([pd.bdate_range("2016-01-01", periods=n_dates),
                                      [f"T{i}" for i in range(n_tickers)]], names=["date", "ticker"])
    n = len(idx)
    base = rng.normal(size=(n, len(NAMES)))
    y = pd.Series(base[:, 0] + 0.5 * base[:, 1] + 0.1 * rng.normal(size=n), index=idx, name="y")
    cols = {f"{nm}_{w:02d}": base[:, i] + 0.05 * w * rng.normal(size=n) for i, nm in enumerate(NAMES)
            for w in WINDOWS}
    return pd.DataFrame(cols, index=idx).astype("float32"), y


def test_split_column_and_grid():
    assert split_column("bb_high_06") == ("bb_high", 6)
    with pytest.raises(ValueError, match="not named"):
        split_column("rsi")
    X, _ = panel(10, 2)
    assert indicator_grid(X.columns) == (NAMES, WINDOWS)
    with pytest.raises(ValueError, match="full indicator x window grid"):
        indicator_grid(list(X.columns[:-1]))


def test_training_sample_and_errors():
    X, y = panel(20, 3)
    y.iloc[0] = np.nan
    Xs, ys = training_sample(X, y, np.arange(30), n=10, seed=1)
    assert len(Xs) == 10 and ys.notna().all() and Xs.index.is_monotonic_increasing
    assert X.index[0] not in Xs.index
    with pytest.raises(ValueError, match="no training rows"):
        training_sample(X, y, np.array([], dtype=int), 10)
    with pytest.raises(ValueError, match="same index"):
        training_sample(X, y.iloc[::-1], np.arange(5), 10)


def test_rank_indicators_finds_the_informative_ones():
    X, y = panel()
    table = rank_indicators(X, y)
    assert list(table.index[:2]) == ["a", "b"] and table["rank"].tolist() == list(range(1, 7))
    with pytest.raises(ValueError, match="too few"):
        rank_indicators(X.iloc[:5], y.iloc[:5])


def test_standardize_and_cluster_order():
    X = pd.DataFrame({"x": [1.0, 2.0, 3.0], "k": [5.0, 5.0, 5.0]})
    Z = standardize(X)
    assert np.allclose(Z["x"].mean(), 0) and (Z["k"] == 0).all()
    v = np.array([[0.0, 0], [10, 10], [0.1, 0], [10, 10.1]])
    order, link = cluster_order(v)
    assert sorted(order) == [0, 1, 2, 3] and link.shape == (3, 4)
    pos = {int(item): i for i, item in enumerate(order)}
    assert abs(pos[0] - pos[2]) == 1 and abs(pos[1] - pos[3]) == 1
    with pytest.raises(ValueError, match="at least 2"):
        cluster_order(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        cluster_order(np.array([[0.0, np.nan], [1, 1]]))


def test_select_and_cluster_uses_training_rows_only():
    """(c) selection and clustering unchanged when rows outside the training window change."""
    X, y = panel()
    train = np.arange(400)
    res = select_and_cluster(X, y, train, n_select=4, mi_sample=300, cluster_sample=200)
    assert len(res["columns"]) == 4 and sorted(res["windows"]) == WINDOWS
    X2, y2 = X.copy(), y.copy()
    X2.iloc[400:] = (np.random.default_rng(5).normal(size=X2.iloc[400:].shape) * 100).astype("float32")
    y2.iloc[400:] = -y2.iloc[400:]
    res2 = select_and_cluster(X2, y2, train, n_select=4, mi_sample=300, cluster_sample=200)
    assert res2["columns"] == res["columns"] and res2["windows"] == res["windows"]
    np.testing.assert_array_equal(res2["column_linkage"], res["column_linkage"])
    pd.testing.assert_frame_equal(res2["mi"], res["mi"])
    with pytest.raises(ValueError, match="n_select"):
        select_and_cluster(X, y, train, n_select=99)


def test_fold_layouts_and_stability():
    X, y = panel()
    cv = WalkForward(train_size=40, test_size=10, purge=5, val_size=10, n_splits=2)
    logs = []
    folds, details = fold_layouts(X, y, cv, log=logs.append, n_select=3, mi_sample=200, cluster_sample=100)
    assert len(folds) == 2 == len(details) == len(logs)
    for f in folds:
        assert f["train_end"] < f["val_start"] <= f["val_end"] < f["test_start"]
        assert len(f["columns"]) == 3 and len(f["windows"]) == 4
    # altering every row after fold 0's training window leaves its layout unchanged
    end = pd.Timestamp(folds[0]["train_end"])
    X2 = X.copy()
    later = X2.index.get_level_values("date") > end
    X2.loc[later] = X2.loc[later].to_numpy()[::-1]
    folds2, _ = fold_layouts(X2, y, cv, log=None, n_select=3, mi_sample=200, cluster_sample=100)
    assert folds2[0]["columns"] == folds[0]["columns"] and folds2[0]["windows"] == folds[0]["windows"]
    stab = selection_stability(folds, NAMES)
    assert stab.loc[folds[0]["columns"], 0].eq(1).all() and stab["share"].between(0, 1).all()
    with pytest.raises(ValueError, match="not in the list"):
        selection_stability(folds, ["zzz"])


def test_to_images_layout_and_no_look_ahead():
    """(d) the image at t equals the image built from data truncated at t."""
    X, _ = panel(30, 3)
    cols, wins = ["c", "a"], [9, 6, 7]
    img = to_images(X, cols, wins)
    assert img.shape == (len(X), 3, 2, 1) and img.dtype == np.float32
    assert img[5, 0, 1, 0] == X["a_09"].iloc[5] and img[5, 1, 0, 0] == X["c_06"].iloc[5]
    t = X.index.get_level_values("date").unique()[12]
    cut = X.loc[:t]
    np.testing.assert_array_equal(to_images(cut, cols, wins), img[: len(cut)])
    with pytest.raises(KeyError, match="lack the columns"):
        to_images(X, ["zzz"], wins)
