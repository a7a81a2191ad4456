"""Tests of the CNN-TA lesson code saved to utils.lessons (notebooks 12 and 13): the fold
layout and the models are fit on a fold's training rows only."""

import numpy as np
import pandas as pd
import pytest

from utils.lessons import (
    cnn_ta,
    fit_predict_cnn,
    fit_predict_ridge,
    fold_layout,
    fold_scaler,
    rank_target,
    subsample,
)
from utils.walk_forward import WalkForward

NAMES = ["a", "b", "c", "d", "e", "f"]
WINDOWS = [6, 7, 8, 9]


# ----------------------------------------------------------------------- notebook 12: fold_layout
def panel(n_dates=120, n_tickers=8, seed=0):
    """Features where indicators a and b drive the target; windows add noise."""
    rng = np.random.default_rng(seed)
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-01", periods=n_dates), [f"T{i}" for i in range(n_tickers)]],
        names=["date", "ticker"],
    )
    n = len(idx)
    base = rng.normal(size=(n, len(NAMES)))
    y = pd.Series(base[:, 0] + 0.5 * base[:, 1] + 0.1 * rng.normal(size=n), index=idx, name="y")
    cols = {
        f"{nm}_{w:02d}": base[:, i] + 0.05 * w * rng.normal(size=n)
        for i, nm in enumerate(NAMES)
        for w in WINDOWS
    }
    return pd.DataFrame(cols, index=idx).astype("float32"), y


def test_fold_layout_ranks_the_informative_indicators_first():
    X, y = panel()
    res = fold_layout(X, y, np.arange(len(X)), n_select=4, mi_sample=600, cluster_sample=300)
    assert list(res["mi"].index[:2]) == ["a", "b"] and list(res["mi"].columns) == ["mi_mean", "mi_max"]
    assert res["chosen"] == list(res["mi"].index[:4]) and sorted(res["columns"]) == sorted(res["chosen"])
    assert sorted(res["windows"]) == WINDOWS
    assert res["column_linkage"].shape == (3, 4) and res["window_linkage"].shape == (3, 4)


def test_fold_layout_puts_similar_indicators_next_to_each_other():
    X, y = panel(60, 6)
    X["b_06"], X["b_07"], X["b_08"], X["b_09"] = X["a_06"], X["a_07"], X["a_08"], X["a_09"]  # b = a
    res = fold_layout(X, y, np.arange(len(X)), n_select=6, mi_sample=300, cluster_sample=300)
    pos = {name: i for i, name in enumerate(res["columns"])}
    assert abs(pos["a"] - pos["b"]) == 1


def test_fold_layout_uses_training_rows_only():
    """Selection and clustering do not change when rows outside the training window change."""
    X, y = panel()
    train = np.arange(400)
    y.iloc[3] = np.nan  # unlabelled training rows are skipped
    res = fold_layout(X, y, train, n_select=4, mi_sample=300, cluster_sample=200)
    X2, y2 = X.copy(), y.copy()
    X2.iloc[400:] = (np.random.default_rng(5).normal(size=X2.iloc[400:].shape) * 100).astype("float32")
    y2.iloc[400:] = -y2.iloc[400:]
    res2 = fold_layout(X2, y2, train, n_select=4, mi_sample=300, cluster_sample=200)
    assert res2["columns"] == res["columns"] and res2["windows"] == res["windows"]
    np.testing.assert_array_equal(res2["column_linkage"], res["column_linkage"])
    pd.testing.assert_frame_equal(res2["mi"], res["mi"])
    with pytest.raises(ValueError, match="same index"):
        fold_layout(X, y.iloc[::-1], train)


def test_fold_layout_of_every_walk_forward_fold():
    """Notebook 12's loop: altering every row after fold 0's training window leaves its layout unchanged."""
    X, y = panel()
    cv = WalkForward(train_size=40, test_size=10, purge=5, val_size=10, n_splits=2)
    kw = {"n_select": 3, "mi_sample": 200, "cluster_sample": 100}
    layouts = [fold_layout(X, y, fold.train, **kw) for fold in cv.split(X)]
    assert len(layouts) == 2 and all(len(f["columns"]) == 3 and len(f["windows"]) == 4 for f in layouts)
    end = next(cv.split(X)).train_dates[-1]
    X2 = X.copy()
    later = X2.index.get_level_values("date") > end
    X2.loc[later] = X2.loc[later].to_numpy()[::-1]
    first = fold_layout(X2, y, next(cv.split(X2)).train, **kw)
    assert first["columns"] == layouts[0]["columns"] and first["windows"] == layouts[0]["windows"]


# ----------------------------------------------------------------------- notebook 13: network, label, scaler
def images(n, seed=0, signal=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 15, 15, 1)).astype(np.float32)
    y = (
        (x[:, 7, 7, 0] * 0.5 + rng.normal(scale=0.1, size=n)).astype(np.float32)
        if signal
        else rng.normal(size=n)
    )
    return x, y.astype(np.float32)


def test_cnn_ta_layers_and_parameters():
    model = cnn_ta()
    names = [layer.name for layer in model.layers]
    assert names == ["conv_1", "conv_2", "pool", "dropout_1", "flatten", "dense", "dropout_2", "score"]
    # conv_1 3*3*1*16+16, conv_2 3*3*16*32+32, dense 5*5*32*64+64, score 64+1
    assert model.count_params() == 160 + 4640 + 51264 + 65
    assert model.output_shape == (None, 1)
    paper = cnn_ta(filters=(32, 64), dense_units=128)
    assert paper.count_params() == 320 + 18496 + 204928 + 129


def test_rank_target_is_per_date_and_symmetric():
    idx = pd.MultiIndex.from_product(
        [pd.bdate_range("2016-01-04", periods=3), [f"T{i}" for i in range(5)]], names=["date", "ticker"]
    )
    y = pd.Series(np.random.default_rng(0).normal(size=len(idx)), index=idx, name="fwd_ret_05d")
    y.iloc[0] = 1e6  # an outlier only changes its own rank
    y.iloc[-1] = np.nan
    r = rank_target(y)
    assert r.name == "rank_fwd_ret_05d" and np.isnan(r.iloc[-1])
    first = r.xs(idx[0][0], level="date")
    np.testing.assert_allclose(sorted(first), [-0.4, -0.2, 0.0, 0.2, 0.4])
    assert first.iloc[0] == pytest.approx(0.4)
    np.testing.assert_allclose(
        sorted(r.xs(idx[-1][0], level="date").dropna()), [-0.375, -0.125, 0.125, 0.375]
    )
    # a date's ranks do not depend on other dates
    y2 = y.copy()
    y2.loc[idx[-1][0]] = -y2.loc[idx[-1][0]].to_numpy()
    pd.testing.assert_series_equal(rank_target(y2).loc[idx[0][0]], r.loc[idx[0][0]])


def test_fold_scaler_standardises_with_training_rows_and_clips():
    x, _ = images(200)
    x[0, 0, 0, 0] = 1e4
    scale = fold_scaler(x, clip=5)
    z = scale(x)
    assert z.dtype == np.float32 and z.shape == x.shape
    assert abs(z[1:, 3, 3, 0].mean()) < 0.2 and np.abs(z).max() <= 5.0
    np.testing.assert_array_equal(fold_scaler(np.ones((10, 4)))(np.ones((10, 4))), np.zeros((10, 4)))
    # no look-ahead: each row is scaled on its own with the training statistics
    x_test, _ = images(50, seed=2)
    x_half = x_test.copy()
    x_half[25:] = 1e3
    np.testing.assert_array_equal(scale(x_half)[:25], scale(x_test)[:25])


def test_subsample():
    keep = subsample(100, 30, seed=1)
    assert len(keep) == 30 and len(set(keep)) == 30 and (np.diff(keep) > 0).all()
    np.testing.assert_array_equal(keep, subsample(100, 30, seed=1))
    np.testing.assert_array_equal(subsample(10, 50), np.arange(10))


# ----------------------------------------------------------------------- notebook 13: one fold
def test_fit_predict_cnn_learns_and_ignores_test_rows():
    x, y = images(1200, seed=3, signal=True)
    tr, va, te = slice(0, 800), slice(800, 1000), slice(1000, 1200)
    kw = {
        "epochs": 5,
        "patience": 2,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "max_train_rows": 600,
        "seed": 7,
    }
    pred, info = fit_predict_cnn(x[tr], y[tr], x[va], y[va], x[te], **kw)
    assert pred.shape == (200,) and np.isfinite(pred).all()
    assert 1 <= info["best_epoch"] <= info["epochs_run"] <= 5 and info["n_fit"] == 600
    assert info["val_mse"] < info["val_mse_constant"]  # it learnt the planted pixel
    assert np.corrcoef(pred, y[te])[0, 1] > 0.25  # (noise alone: |r| < 0.2)
    # no look-ahead: altering half of the test rows changes neither the fitted model (same
    # validation loss, same epoch) nor the predictions of the other half
    x_te = x[te].copy()
    x_te[100:] = 50.0
    pred2, info2 = fit_predict_cnn(x[tr], y[tr], x[va], y[va], x_te, **kw)
    assert info2["best_epoch"] == info["best_epoch"]
    assert info2["val_mse"] == pytest.approx(info["val_mse"], rel=1e-4)
    np.testing.assert_allclose(pred2[:100], pred[:100], rtol=1e-4, atol=1e-5)


def test_fit_predict_ridge_chooses_alpha_on_validation_only():
    x, y = images(900, seed=4, signal=True)
    tr, va, te = slice(0, 600), slice(600, 750), slice(750, 900)
    pred, info = fit_predict_ridge(x[tr], y[tr], x[va], y[va], x[te])
    assert pred.shape == (150,) and np.corrcoef(pred, y[te])[0, 1] > 0.8
    assert info["alpha"] in (1.0, 10.0, 100.0, 1000.0, 10000.0)
    # test rows never influence the fit: altering the other test rows leaves a prediction unchanged
    x_te = x[te].copy()
    x_te[1:] = -9.0
    pred2, info2 = fit_predict_ridge(x[tr], y[tr], x[va], y[va], x_te)
    assert info2 == info and pred2[0] == pytest.approx(pred[0])
    # the validation rows do choose the penalty: pure-noise validation labels favour shrinkage
    _, info3 = fit_predict_ridge(x[tr], y[tr], x[va], np.random.default_rng(0).normal(size=150), x[te])
    assert info3["alpha"] >= info["alpha"]
