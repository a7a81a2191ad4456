"""Tests of utils.cnn_ta_model on synthetic data: the CNN, the per-fold scaler (no look-ahead),
one fold's training, the ridge and reversal baselines."""
import numpy as np
import pandas as pd
import pytest

from utils.cnn_ta_model import (FoldScaler, build_cnn_ta, fit_predict_cnn, fit_predict_ridge, fold_ic_table,
                                fold_rows, ic_comparison, rank_target, short_term_reversal, subsample)


def panel(n_dates=30, n_tickers=12, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2016-01-04", periods=n_dates)
    idx = pd.MultiIndex.from_product([dates, [f"T{i:02d}" for i in range(n_tickers)]], names=["date", "ticker"])
    return idx, rng


def images(n, seed=0, signal=False):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 15, 15, 1)).astype(np.float32)
    y = (x[:, 7, 7, 0] * 0.5 + rng.normal(scale=0.1, size=n)).astype(np.float32) if signal else rng.normal(size=n)
    return x, y.astype(np.float32)


# ----------------------------------------------------------------------- network
def test_build_cnn_ta_layers_and_parameters():
    model = build_cnn_ta()
    names = [layer.name for layer in model.layers]
    assert names == ["conv_1", "conv_2", "pool", "dropout_1", "flatten", "dense", "dropout_2", "score"]
    # conv_1 3*3*1*16+16, conv_2 3*3*16*32+32, dense 5*5*32*64+64, score 64+1
    assert model.count_params() == 160 + 4640 + 51264 + 65
    assert model.output_shape == (None, 1)
    paper = build_cnn_ta(filters=(32, 64), dense_units=128)
    assert paper.count_params() == 320 + 18496 + 204928 + 129


@pytest.mark.parametrize("kwargs, msg", [(dict(input_shape=(5, 5, 1)), "height and width"),
                                         (dict(filters=(8,)), "two values"),
                                         (dict(dropout=(0.2, 1.0)), "dropout rates")])
def test_build_cnn_ta_rejects_bad_arguments(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        build_cnn_ta(**kwargs)


# ----------------------------------------------------------------------- labels
def test_rank_target_is_per_date_and_symmetric():
    idx, rng = panel(n_dates=3, n_tickers=5)
    y = pd.Series(rng.normal(size=len(idx)), index=idx, name="fwd_ret_05d")
    y.iloc[0] = 1e6  # an outlier only changes its own rank
    r = rank_target(y)
    assert r.name == "rank_fwd_ret_05d"
    first = r.xs(idx[0][0], level="date")
    np.testing.assert_allclose(sorted(first), [-0.4, -0.2, 0.0, 0.2, 0.4])
    assert first.iloc[0] == pytest.approx(0.4)
    # a date's ranks do not depend on other dates
    y2 = y.copy(); y2.loc[idx[-1][0]] = -y2.loc[idx[-1][0]].to_numpy()
    pd.testing.assert_series_equal(rank_target(y2).loc[idx[0][0]], r.loc[idx[0][0]])
    with pytest.raises(TypeError, match="date, ticker"):
        rank_target(pd.Series([1.0, 2.0]))


# ----------------------------------------------------------------------- scaler
def test_fold_scaler_standardises_training_rows_and_clips():
    x, _ = images(200)
    x[0, 0, 0, 0] = 1e4
    s = FoldScaler(clip=5).fit(x)
    z = s.transform(x)
    assert z.dtype == np.float32 and z.shape == x.shape
    assert abs(z[1:, 3, 3, 0].mean()) < 0.2 and np.abs(z).max() <= 5.0
    const = np.ones((10, 4))
    np.testing.assert_array_equal(FoldScaler().fit_transform(const), np.zeros((10, 4)))


def test_fold_scaler_no_look_ahead():
    """The fitted statistics depend on the training rows only: altering val/test rows changes nothing."""
    x_train, _ = images(300, seed=1)
    x_test, _ = images(50, seed=2)
    a = FoldScaler().fit(x_train)
    z_test = a.transform(x_test)
    x_test_changed = x_test * 100 + 7
    b = FoldScaler().fit(x_train)
    b.transform(x_test_changed)
    np.testing.assert_array_equal(a.mean_, b.mean_)
    np.testing.assert_array_equal(a.std_, b.std_)
    # each test row is transformed on its own: changing other test rows leaves it unchanged
    x_half = x_test.copy(); x_half[25:] = 1e3
    np.testing.assert_array_equal(a.transform(x_half)[:25], z_test[:25])


def test_fold_scaler_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        FoldScaler().transform(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        FoldScaler().fit(np.array([[1.0, np.nan], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="do not match"):
        FoldScaler().fit(np.zeros((3, 2))).transform(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="clip"):
        FoldScaler(clip=0)


def test_subsample():
    keep = subsample(100, 30, seed=1)
    assert len(keep) == 30 and len(set(keep)) == 30 and (np.diff(keep) > 0).all()
    np.testing.assert_array_equal(keep, subsample(100, 30, seed=1))
    np.testing.assert_array_equal(subsample(10, None), np.arange(10))
    np.testing.assert_array_equal(subsample(10, 50), np.arange(10))
    with pytest.raises(ValueError, match="max_rows"):
        subsample(10, 0)


# ----------------------------------------------------------------------- one fold
def test_fit_predict_cnn_learns_and_ignores_test_rows():
    x, y = images(1200, seed=3, signal=True)
    tr, va, te = slice(0, 800), slice(800, 1000), slice(1000, 1200)
    kw = dict(epochs=5, patience=2, batch_size=32, learning_rate=3e-3, max_train_rows=600, seed=7)
    pred, info = fit_predict_cnn(x[tr], y[tr], x[va], y[va], x[te], **kw)
    assert pred.shape == (200,) and np.isfinite(pred).all()
    assert 1 <= info["best_epoch"] <= info["epochs_run"] <= 5 and info["n_fit"] == 600
    assert info["val_mse"] < info["val_mse_constant"]          # it learnt the planted pixel
    assert np.corrcoef(pred, y[te])[0, 1] > 0.25                # (noise alone: |r| < 0.2)
    # no look-ahead: altering half of the test rows changes neither the fitted model (same
    # validation loss, same epoch) nor the predictions of the other half
    x_te = x[te].copy(); x_te[100:] = 50.0
    pred2, info2 = fit_predict_cnn(x[tr], y[tr], x[va], y[va], x_te, **kw)
    assert info2["best_epoch"] == info["best_epoch"]
    assert info2["val_mse"] == pytest.approx(info["val_mse"], rel=1e-4)
    np.testing.assert_allclose(pred2[:100], pred[:100], rtol=1e-4, atol=1e-5)


def test_fit_predict_cnn_rejects_bad_folds():
    x, y = images(20)
    with pytest.raises(ValueError, match="differ in length"):
        fit_predict_cnn(x, y[:10], x, y, x, epochs=1)
    y_nan = y.copy(); y_nan[0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_predict_cnn(x, y_nan, x, y, x, epochs=1)
    with pytest.raises(ValueError, match="shape"):
        fit_predict_cnn(x, y, x, y, x[:, :10], epochs=1)


def test_fit_predict_ridge_chooses_alpha_on_validation_only():
    x, y = images(900, seed=4, signal=True)
    tr, va, te = slice(0, 600), slice(600, 750), slice(750, 900)
    pred, info = fit_predict_ridge(x[tr], y[tr], x[va], y[va], x[te])
    assert pred.shape == (150,) and np.corrcoef(pred, y[te])[0, 1] > 0.8
    assert info["alpha"] in (1.0, 10.0, 100.0, 1000.0, 10000.0)
    # test rows never influence the fit: altering the other test rows leaves a prediction unchanged
    x_te = x[te].copy(); x_te[1:] = -9.0
    pred2, info2 = fit_predict_ridge(x[tr], y[tr], x[va], y[va], x_te)
    assert info2 == info and pred2[0] == pytest.approx(pred[0])
    # the validation rows do choose the penalty: pure-noise validation labels favour shrinkage
    _, info3 = fit_predict_ridge(x[tr], y[tr], x[va], np.random.default_rng(0).normal(size=150), x[te])
    assert info3["alpha"] >= info["alpha"]
    with pytest.raises(ValueError, match="positive"):
        fit_predict_ridge(x[tr], y[tr], x[va], y[va], x[te], alphas=(0.0,))


# ----------------------------------------------------------------------- reversal factor
def test_short_term_reversal_uses_past_prices_only():
    idx, rng = panel(n_dates=12, n_tickers=3)
    close = pd.Series(100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(idx)))), index=idx)
    rev = short_term_reversal(close, window=5)
    d = idx.get_level_values(0).unique()
    expected = -(close.loc[(d[7], "T01")] / close.loc[(d[2], "T01")] - 1)
    assert rev.loc[(d[7], "T01")] == pytest.approx(expected)
    assert rev.index.get_level_values(0).min() == d[5]  # the first 5 dates have no past return
    # no look-ahead: altering prices after t leaves the factor at t unchanged
    later = close.copy(); later.loc[d[8]:] *= 3.0
    pd.testing.assert_series_equal(short_term_reversal(later, 5).loc[:d[7]], rev.loc[:d[7]])
    with pytest.raises(ValueError, match="positive"):
        short_term_reversal(close * 0, 5)
    with pytest.raises(ValueError, match="window"):
        short_term_reversal(close, 0)
    with pytest.raises(TypeError, match="date, ticker"):
        short_term_reversal(close.droplevel(1), 5)


def test_fold_ic_table():
    idx, rng = panel(n_dates=20, n_tickers=15)
    ret = pd.Series(rng.normal(size=len(idx)), index=idx)
    preds = pd.DataFrame({"perfect": ret, "inverse": -ret}, index=idx)
    fold = pd.Series((idx.get_level_values(0) >= idx.get_level_values(0).unique()[10]).astype(int), index=idx)
    table = fold_ic_table(preds, ret, fold)
    assert list(table.index) == [0, 1]
    np.testing.assert_allclose(table["perfect"], 1.0)
    np.testing.assert_allclose(table["inverse"], -1.0)
    with pytest.raises(ValueError, match="same"):
        fold_ic_table(preds, ret, fold.iloc[:-1])


def test_fold_rows_from_iso_dates():
    idx, _ = panel(n_dates=30, n_tickers=4)
    d = [x.date().isoformat() for x in idx.get_level_values(0).unique()]
    fold = {"number": 0, "train_start": d[0], "train_end": d[9], "val_start": d[12], "val_end": d[17],
            "test_start": d[20], "test_end": d[24]}
    rows = fold_rows(idx, fold)
    assert [len(rows[k]) for k in ("train", "val", "test")] == [40, 24, 20]
    assert idx[rows["test"][0]][0] == pd.Timestamp(d[20]) and idx[rows["test"][-1]][0] == pd.Timestamp(d[24])
    with pytest.raises(ValueError, match="overlap"):
        fold_rows(idx, {**fold, "val_start": d[5]})
    with pytest.raises(ValueError, match="no rows"):
        fold_rows(idx, {**fold, "test_start": "2030-01-01", "test_end": "2030-02-01"})
    with pytest.raises(ValueError, match="ISO dates"):
        fold_rows(idx, {"number": 1})


def test_ic_comparison_steps_over_overlapping_dates():
    idx, rng = panel(n_dates=40, n_tickers=15)
    ret = pd.Series(rng.normal(size=len(idx)), index=idx)
    preds = pd.DataFrame({"good": ret + rng.normal(size=len(idx)), "noise": rng.normal(size=len(idx))}, index=idx)
    table = ic_comparison(preds, ret)
    assert list(table.columns) == ["mean_ic", "t_stat", "p_value", "hit_rate", "n_dates"]
    assert table.loc["good", "mean_ic"] > 0.5 and table.loc["good", "hit_rate"] == 1.0
    assert table.loc["good", "n_dates"] == 40
    assert ic_comparison(preds, ret, step=5).loc["good", "n_dates"] == 8
    with pytest.raises(ValueError, match="step"):
        ic_comparison(preds, ret, step=0)
