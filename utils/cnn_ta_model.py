"""CNN-TA, the model side (notebook 13): the CNN on 15x15 indicator images, the per-fold
scaler, one walk-forward fold's training with the epoch chosen on the fold's own
validation rows, and the two baselines (ridge on the 225 flattened features, short-term
reversal).

Everything that is *fit* (scaler, network, ridge penalty) sees the training rows of one
fold, and the validation rows only to choose an epoch or a penalty; the test rows are
only ever predicted. Keras is imported inside the functions: importing this module is cheap.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

IMAGE_SHAPE = (15, 15, 1)


# --------------------------------------------------------------------------- the network
def build_cnn_ta(input_shape=IMAGE_SHAPE, filters=(16, 32), kernel_size=3, dense_units=64,
                 dropout=(0.25, 0.5), name: str = "cnn_ta"):
    """The CNN-TA network of Sezer & Ozbayoglu (2018), sized for a CPU, with one linear output.

    ``Conv2D(filters[0]) -> Conv2D(filters[1]) -> MaxPooling 2x2 -> Dropout(dropout[0]) ->
    Flatten -> Dense(dense_units, relu) -> Dropout(dropout[1]) -> Dense(1)``. The paper's
    network has 32 and 64 filters and 128 dense units with a 3-class softmax (buy, hold,
    sell); here the output is one score (a regression on the cross-sectional rank of the
    forward return, see :func:`rank_target`). Layers carry fixed names so that
    ``summary()`` is the same in every run.
    """
    import keras

    if len(input_shape) != 3 or min(input_shape[:2]) < 2 * (kernel_size - 1) + 2:
        raise ValueError(f"input_shape must be (height, width, channels) with height and width >= "
                         f"{2 * (kernel_size - 1) + 2} for two {kernel_size}x{kernel_size} convolutions "
                         f"and 2x2 pooling, got {input_shape!r}")
    if len(filters) != 2 or len(dropout) != 2:
        raise ValueError(f"filters and dropout take two values (one a conv layer / dropout layer), "
                         f"got filters={filters!r}, dropout={dropout!r}")
    if not all(0 <= d < 1 for d in dropout):
        raise ValueError(f"dropout rates must be in [0, 1), got {dropout!r}")
    return keras.Sequential([
        keras.Input(shape=tuple(input_shape), name="image"),
        keras.layers.Conv2D(filters[0], kernel_size, activation="relu", name="conv_1"),
        keras.layers.Conv2D(filters[1], kernel_size, activation="relu", name="conv_2"),
        keras.layers.MaxPooling2D(2, name="pool"),
        keras.layers.Dropout(dropout[0], name="dropout_1"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(dense_units, activation="relu", name="dense"),
        keras.layers.Dropout(dropout[1], name="dropout_2"),
        keras.layers.Dense(1, name="score"),
    ], name=name)


# --------------------------------------------------------------------------- labels
def rank_target(y: pd.Series) -> pd.Series:
    """Cross-sectional rank of a (date, ticker) label, scaled to [-0.5, 0.5] on every date.

    Uses only the labels of the same date: the rank of each stock's forward return among
    that date's stocks (ties share their mean rank). Outliers (the unadjusted spin-offs of
    the file) lose their pull, and the network learns to *order* stocks, which is what
    the IC and the quintile portfolio judge. Missing labels stay missing.
    """
    if not isinstance(y, pd.Series) or y.index.nlevels != 2:
        raise TypeError("y must be a pandas Series indexed by (date, ticker)")
    level = y.index.names[0] or 0
    pct = y.groupby(level=level).rank(pct=True)
    count = y.groupby(level=level).transform("count")
    # rank pct runs from 1/n to 1: map it to [-0.5, 0.5] symmetrically
    out = (pct * count - 0.5) / count - 0.5
    return out.rename(f"rank_{y.name}" if y.name else "rank_target")


# --------------------------------------------------------------------------- scaling
class FoldScaler:
    """Per-feature standardisation fit on one fold's training rows only.

    ``fit(X_train)`` stores each feature's (pixel's) mean and standard deviation over the
    training rows; ``transform`` applies them to any rows (train, val, test) and clips the
    result to ``+-clip`` standard deviations, so an extreme indicator value of a later
    date cannot blow up a prediction. Accepts 2-D (n, features) or image arrays
    (n, h, w, c); the statistics are per feature / per pixel.
    """

    def __init__(self, clip: float = 5.0):
        if not clip > 0:
            raise ValueError(f"clip must be > 0 (standard deviations), got {clip!r}")
        self.clip = float(clip)
        self.mean_ = None
        self.std_ = None

    def fit(self, X) -> "FoldScaler":
        X = np.asarray(X, dtype=np.float64)
        if X.ndim < 2 or len(X) < 2:
            raise ValueError(f"fit needs at least 2 training rows of shape (n, ...), got shape {X.shape}")
        if not np.isfinite(X).all():
            raise ValueError("training rows hold NaN or inf: drop incomplete rows before scaling")
        self.mean_ = X.mean(axis=0)
        std = X.std(axis=0)
        self.std_ = np.where(std > 0, std, 1.0)  # a constant feature is centred, not divided by 0
        return self

    def transform(self, X) -> np.ndarray:
        if self.mean_ is None:
            raise RuntimeError("FoldScaler is not fitted: call fit(X_train) first")
        X = np.asarray(X, dtype=np.float64)
        if X.shape[1:] != self.mean_.shape:
            raise ValueError(f"rows of shape {X.shape[1:]} do not match the fitted shape {self.mean_.shape}")
        return np.clip((X - self.mean_) / self.std_, -self.clip, self.clip).astype(np.float32)

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)


# --------------------------------------------------------------------------- one fold
def _check_fold(X_train, y_train, X_val, y_val, X_test):
    X_train, X_val, X_test = (np.asarray(a, dtype=np.float32) for a in (X_train, X_val, X_test))
    y_train, y_val = (np.asarray(a, dtype=np.float32).ravel() for a in (y_train, y_val))
    if len(X_train) != len(y_train) or len(X_val) != len(y_val):
        raise ValueError(f"rows and labels differ in length: train {len(X_train)} vs {len(y_train)}, "
                         f"val {len(X_val)} vs {len(y_val)}")
    if len(X_train) < 2 or len(X_val) < 1:
        raise ValueError(f"need training and validation rows, got {len(X_train)} and {len(X_val)}")
    if not (X_train.shape[1:] == X_val.shape[1:] == X_test.shape[1:]):
        raise ValueError(f"train, val and test rows differ in shape: {X_train.shape[1:]}, "
                         f"{X_val.shape[1:]}, {X_test.shape[1:]}")
    if not (np.isfinite(y_train).all() and np.isfinite(y_val).all()):
        raise ValueError("training or validation labels hold NaN: keep only rows with a label")
    return X_train, y_train, X_val, y_val, X_test


def subsample(n: int, max_rows: int | None, seed: int = 42) -> np.ndarray:
    """Sorted positions of at most ``max_rows`` of ``n`` rows, drawn without replacement."""
    if max_rows is None or max_rows >= n:
        return np.arange(n)
    if max_rows < 1:
        raise ValueError(f"max_rows must be >= 1 or None, got {max_rows!r}")
    return np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))


def fit_predict_cnn(X_train, y_train, X_val, y_val, X_test, *, epochs: int = 8, patience: int = 2,
                    batch_size: int = 1024, learning_rate: float = 1e-3, max_train_rows: int | None = None,
                    seed: int = 42, build=None, log=None):
    """Train the CNN on one fold and predict its test rows.

    The scaler is fit on the (sub-sampled) training rows; the network trains on them for
    at most ``epochs`` epochs, and early stopping on the validation rows keeps the weights
    of the epoch with the lowest validation loss (``patience`` epochs without improvement
    end training). The test rows are only predicted. Returns ``(predictions, info)``,
    ``info`` holding the best epoch, epochs run, validation MSE of the network and of a
    constant (the training mean), rows used and seconds.
    """
    import keras

    from .seed import set_seeds
    from .training import early_stopping

    start = time.perf_counter()
    X_train, y_train, X_val, y_val, X_test = _check_fold(X_train, y_train, X_val, y_val, X_test)
    keep = subsample(len(X_train), max_train_rows, seed)
    X_train, y_train = X_train[keep], y_train[keep]
    scaler = FoldScaler().fit(X_train)
    x_tr, x_va, x_te = scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test)
    set_seeds(seed)
    model = (build or build_cnn_ta)(input_shape=x_tr.shape[1:])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    history = model.fit(x_tr, y_train, validation_data=(x_va, y_val), epochs=epochs, batch_size=batch_size,
                        shuffle=True, callbacks=[early_stopping(patience=patience)], verbose=0)
    val_loss = history.history["val_loss"]
    # direct calls in batches instead of model.predict: predict() compiles a new function for
    # every fold's model, and TensorFlow warns about the retracing from the 5th fold on
    pred = np.concatenate([np.asarray(model(x_te[i:i + 8192], training=False)).ravel()
                           for i in range(0, len(x_te), 8192)]) if len(x_te) else np.zeros(0)
    info = {"best_epoch": int(np.argmin(val_loss)) + 1, "epochs_run": len(val_loss),
            "val_mse": float(min(val_loss)), "val_mse_constant": float(np.mean((y_val - y_train.mean()) ** 2)),
            "n_fit": len(keep), "seconds": round(time.perf_counter() - start, 1)}
    if log is not None:
        log(info)
    return pred.astype(np.float64), info


def fit_predict_ridge(X_train, y_train, X_val, y_val, X_test, *, alphas=(1.0, 10.0, 100.0, 1000.0, 10000.0),
                      max_train_rows: int | None = None, seed: int = 42):
    """Ridge regression on the flattened, fold-scaled features; the penalty chosen on the val rows.

    For each ``alpha`` a ridge is fit on the training rows and scored by its MSE on the
    validation rows; the best one predicts the test rows. Same rows (and the same
    sub-sample, given the same ``seed``) and the same scaler as :func:`fit_predict_cnn`.
    Returns ``(predictions, info)``.
    """
    from sklearn.linear_model import Ridge

    if len(alphas) < 1 or min(alphas) <= 0:
        raise ValueError(f"alphas must be positive penalties, got {alphas!r}")
    X_train, y_train, X_val, y_val, X_test = _check_fold(X_train, y_train, X_val, y_val, X_test)
    keep = subsample(len(X_train), max_train_rows, seed)
    X_train, y_train = X_train[keep], y_train[keep]
    flat = lambda a: a.reshape(len(a), -1)
    scaler = FoldScaler().fit(flat(X_train))
    x_tr, x_va, x_te = scaler.transform(flat(X_train)), scaler.transform(flat(X_val)), scaler.transform(flat(X_test))
    scores = {}
    for alpha in alphas:
        model = Ridge(alpha=alpha).fit(x_tr, y_train)
        scores[alpha] = float(np.mean((model.predict(x_va) - y_val) ** 2))
    best = min(scores, key=scores.get)
    model = Ridge(alpha=best).fit(x_tr, y_train)
    pred = model.predict(x_te) if len(x_te) else np.zeros(0)
    return np.asarray(pred, dtype=np.float64), {"alpha": best, "val_mse": scores[best]}


# --------------------------------------------------------------------------- factor baseline
def short_term_reversal(close: pd.Series, window: int = 5) -> pd.Series:
    """Short-term reversal: minus the past ``window``-day return, ``-(p[t] / p[t-window] - 1)``.

    ``close`` is indexed by (date, ticker); returns are taken per ticker on the panel's
    date grid and use prices up to t only. Last week's losers are expected to bounce
    (a high value = a buy). No fitting, so it needs no training window.
    """
    if not isinstance(close, pd.Series) or close.index.nlevels != 2:
        raise TypeError("close must be a pandas Series indexed by (date, ticker)")
    if not close.index.is_unique:
        raise ValueError("close has duplicate (date, ticker) rows")
    if not isinstance(window, (int, np.integer)) or window < 1:
        raise ValueError(f"window must be a positive number of days, got {window!r}")
    wide = close.unstack(level=1).sort_index()
    if (wide <= 0).any().any():
        raise ValueError("prices must be positive; clean the data first")
    out = -(wide / wide.shift(window) - 1.0)
    out = out.stack().dropna()
    out.index.names = close.index.names
    return out.sort_index().rename(f"reversal_{window}d")


def fold_ic_table(predictions: pd.DataFrame, forward_returns: pd.Series, fold: pd.Series,
                  min_obs: int = 10) -> pd.DataFrame:
    """Mean daily Spearman IC per fold (rows) and model (columns) against ``forward_returns``.

    ``predictions`` holds one column a model, indexed by (date, ticker); ``fold`` gives
    each row's fold number (same index).
    """
    from .ic import ic_by_date

    if not predictions.index.equals(fold.index):
        raise ValueError("predictions and fold must share the same (date, ticker) index")
    dates = predictions.index.get_level_values(0)
    fold_of_date = pd.Series(fold.to_numpy(), index=dates).groupby(level=0).first()
    out = {}
    for name in predictions:
        ic = ic_by_date(predictions[name], forward_returns, min_obs=min_obs)
        out[name] = ic.groupby(fold_of_date.reindex(ic.index).to_numpy()).mean()
    table = pd.DataFrame(out)
    table.index.name = "fold"
    return table


# --------------------------------------------------------------------------- folds and IC
def fold_rows(index: pd.MultiIndex, fold: dict) -> dict[str, np.ndarray]:
    """Row positions of one fold's ``train``, ``val`` and ``test`` windows in ``index``.

    ``fold`` is an entry of notebook 12's ``cnn_ta_folds.json`` (ISO dates
    ``train_start`` .. ``test_end``, inclusive). The windows must be in time order and
    must not overlap, and every window must hold rows.
    """
    dates = index.get_level_values(0)
    out = {}
    for part in ("train", "val", "test"):
        try:
            lo, hi = pd.Timestamp(fold[f"{part}_start"]), pd.Timestamp(fold[f"{part}_end"])
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"fold {fold.get('number')}: needs ISO dates {part}_start and {part}_end "
                             f"(from cnn_ta_folds.json of notebook 12)") from err
        rows = np.flatnonzero((dates >= lo) & (dates <= hi))
        if len(rows) == 0:
            raise ValueError(f"fold {fold.get('number')}: no rows between {part}_start {lo.date()} and "
                             f"{part}_end {hi.date()}; were the features and the folds built from the same data?")
        out[part] = rows
    if not (dates[out["train"]].max() < dates[out["val"]].min() <= dates[out["val"]].max()
            < dates[out["test"]].min()):
        raise ValueError(f"fold {fold.get('number')}: train, val and test windows overlap or are out of order")
    return out


def ic_comparison(predictions: pd.DataFrame, forward: pd.Series, step: int = 1, min_obs: int = 10) -> pd.DataFrame:
    """Daily Spearman IC of every column of ``predictions`` against ``forward``, summarised.

    One row a model: ``mean_ic``, ``t_stat``, ``p_value``, ``hit_rate`` (share of dates with
    a positive IC) and ``n_dates``. With ``step = h`` only every h-th date is used, so that
    the h-day forward returns of the dates used do not overlap and the t-statistic does
    not count the same return h times.
    """
    from .ic import ic_by_date, ic_summary

    if not isinstance(step, (int, np.integer)) or step < 1:
        raise ValueError(f"step must be a positive integer (dates), got {step!r}")
    rows = {}
    for name in predictions:
        ic = ic_by_date(predictions[name], forward, min_obs=min_obs).iloc[::step]
        s = ic_summary(ic)
        rows[name] = {"mean_ic": s["mean_ic"], "t_stat": s["t_stat"], "p_value": s["p_value"],
                      "hit_rate": s["share_positive"], "n_dates": s["n_dates"]}
    return pd.DataFrame(rows).T.astype({"n_dates": int})
