"""Training helpers shared by the course's notebooks.

- :func:`early_stopping`: Keras' ``EarlyStopping`` with the course's rule (restore the best
  weights; the direction, min or max, is Keras' ``mode="auto"``);
- :func:`epoch_logger`: a compact log, one line every few epochs (instead of ``verbose=2``'s
  line an epoch when a model trains for many epochs), plus the time each epoch took;
- :func:`plot_curves`: several runs' training curves in one figure (optimizers, learning
  rates, batch sizes, regularisation side by side);
- :func:`train_runs` and :func:`runs_table`: train one fresh model a configuration (same
  seed, same initial weights) and tabulate final/best validation loss and seconds an epoch;
- :func:`accuracy_by_class`: accuracy within each true class of an image classifier.

The training recipe of the image classifiers (Adam, warm-up + cosine, early stopping) is
written in notebook 03 and reused from ``utils.lessons.train_classifier``.

Keras is imported inside the functions: importing this module is cheap.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np


def early_stopping(
    patience: int = 10,
    monitor: str = "val_loss",
    min_delta: float = 0.0,
    start_from_epoch: int = 0,
    verbose: int = 0,
):
    """``keras.callbacks.EarlyStopping(monitor, patience, restore_best_weights=True)``.

    Training stops after ``patience`` epochs without an improvement of ``monitor`` by more
    than ``min_delta``; the model then holds the weights of its best epoch (Keras' own default
    would keep the *last* epoch's weights), and the callback's ``best_epoch`` (0-based) says
    which one. Whether lower or higher is better is Keras' ``mode="auto"``: the compiled
    metric's direction (loss, MAE, RMSE down; accuracy, AUC up). Monitor a validation
    quantity (``val_...``): stopping on the training loss does not prevent over-fitting.
    """
    import keras

    if not isinstance(patience, int) or patience < 0:
        raise ValueError(f"patience must be a non-negative integer (epochs), got {patience!r}")
    if not monitor.startswith("val_"):
        raise ValueError(
            f"monitor {monitor!r} is not a validation quantity; use e.g. 'val_loss' "
            "and pass validation data (validation_data= or validation_split=) to fit()"
        )
    return keras.callbacks.EarlyStopping(
        monitor=monitor,
        patience=patience,
        min_delta=min_delta,
        mode="auto",
        restore_best_weights=True,
        start_from_epoch=start_from_epoch,
        verbose=verbose,
    )


def epoch_logger(every: int = 10, name: str = "", keys: Sequence[str] | None = None, printer=print):
    """A compact training log: one line at epoch 1, every ``every`` epochs, and at the last epoch run.

    Use with ``verbose=0``: ``model.fit(..., verbose=0, callbacks=[epoch_logger(10)])``. The
    last line is printed also when early stopping ends training before the planned epochs.
    The returned callback keeps ``epoch_seconds`` (wall time of each epoch) and ``lines``
    (what it printed). ``name`` prefixes every line; ``keys`` selects the logged values.
    """
    import keras

    if not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer (epochs), got {every!r}")

    class EpochLogger(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.epoch_seconds: list[float] = []
            self.lines: list[str] = []
            self._t0 = 0.0
            self._last_logs: dict = {}
            self._printed = 0

        def _emit(self, epoch, logs):
            wanted = keys or [k for k in logs if k != "learning_rate"]
            vals = " ".join(f"{k}={float(logs[k]):.4f}" for k in wanted if k in logs)
            line = f"{name + ': ' if name else ''}epoch {epoch:3d} {vals}"
            self.lines.append(line)
            self._printed = epoch
            printer(line)

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.epoch_seconds.append(time.perf_counter() - self._t0)
            self._last_logs = dict(logs or {})
            if epoch == 0 or (epoch + 1) % every == 0:
                self._emit(epoch + 1, self._last_logs)

        def on_train_end(self, logs=None):
            done = len(self.epoch_seconds)
            if done and self._printed != done:
                self._emit(done, self._last_logs)

    return EpochLogger()


def plot_curves(
    runs: Mapping[str, object],
    metric: str = "loss",
    validation: bool = False,
    logy: bool = False,
    title: str | None = None,
    ax=None,
    x: str = "epoch",
):
    """One line a run: ``runs`` maps a label to a Keras ``History``, its ``.history`` dict, or
    a plain sequence of values. ``validation=True`` plots ``val_<metric>`` instead;
    non-finite values (a diverged run) end the line, and the label says so."""
    import matplotlib.pyplot as plt

    if not runs:
        raise ValueError("plot_curves needs at least one run")
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    key = f"val_{metric}" if validation else metric
    for label, run in runs.items():
        hist = getattr(run, "history", run)
        if isinstance(hist, Mapping):
            if key not in hist:
                raise KeyError(f"run {label!r} has no {key!r}; it holds {sorted(hist)}")
            values = np.asarray(hist[key], dtype=float)
        else:
            values = np.asarray(hist, dtype=float)
        finite = np.isfinite(values)
        shown = values[: np.argmin(finite)] if not finite.all() else values
        ax.plot(np.arange(1, len(shown) + 1), shown, label=label if finite.all() else f"{label} (diverged)")
    ax.set_xlabel(x)
    ax.set_ylabel(key)
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return fig


def train_runs(
    make_model,
    configs: Mapping[str, Mapping],
    x,
    y,
    validation_data,
    epochs: int,
    loss="sparse_categorical_crossentropy",
    metrics=("accuracy",),
    seed: int = 42,
    log_every: int | None = None,
) -> dict[str, dict]:
    """Train one fresh model a configuration and keep what is needed to compare them.

    ``configs`` maps a label to a dict with ``optimizer`` (a function returning a Keras
    optimizer, or a name such as ``"adam"``) and optionally ``batch_size`` (default 32),
    ``epochs`` and ``callbacks``. Every model is built by ``make_model()`` right after
    ``set_seeds(seed)``, so all start from the same weights. Returns, a label, a dict with
    ``history`` (the History's dict), ``model`` and ``epoch_seconds``; one log line is
    printed at the first and last epoch (and every ``log_every`` epochs).
    """
    from .seed import set_seeds

    if not configs:
        raise ValueError("train_runs needs at least one configuration")
    results = {}
    for label, cfg in configs.items():
        if "optimizer" not in cfg:
            raise KeyError(f"configuration {label!r} has no 'optimizer'")
        n_epochs = cfg.get("epochs", epochs)
        set_seeds(seed)
        model = make_model()
        opt = cfg["optimizer"]
        model.compile(optimizer=opt() if callable(opt) else opt, loss=loss, metrics=list(metrics))
        log = epoch_logger(every=log_every or max(n_epochs, 1), name=label)
        hist = model.fit(
            x,
            y,
            validation_data=validation_data,
            epochs=n_epochs,
            batch_size=cfg.get("batch_size", 32),
            verbose=0,
            callbacks=[log, *cfg.get("callbacks", [])],
        )
        results[label] = {"history": hist.history, "model": model, "epoch_seconds": log.epoch_seconds}
    return results


def runs_table(results: Mapping[str, Mapping], monitor: str = "val_loss"):
    """One row a run of :func:`train_runs`: final and best ``monitor``, its epoch, seconds an epoch."""
    import pandas as pd

    rows = {}
    for label, r in results.items():
        values = np.asarray(r["history"][monitor], dtype=float)
        best = int(np.nanargmin(values)) if np.isfinite(values).any() else -1
        rows[label] = {
            f"final {monitor}": values[-1],
            f"best {monitor}": values[best] if best >= 0 else np.nan,
            "best epoch": best + 1 if best >= 0 else np.nan,
            "epochs run": len(values),
            "seconds/epoch": float(np.mean(r["epoch_seconds"])) if r["epoch_seconds"] else np.nan,
        }
    return pd.DataFrame(rows).T


def accuracy_by_class(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Share of correct predictions within each true class."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} labels but {y_pred.size} predictions")
    correct = np.bincount(y_true, weights=(y_true == y_pred), minlength=n_classes)
    total = np.bincount(y_true, minlength=n_classes)
    return np.divide(correct, total, out=np.full(n_classes, np.nan), where=total > 0)
