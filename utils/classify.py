"""Training and evaluating image classifiers the same way in every notebook."""
from __future__ import annotations

import time

import numpy as np


def cosine_schedule(peak: float, total_steps: int, warmup_steps: int = 0):
    """Learning rate that rises linearly from 0 to ``peak`` over ``warmup_steps`` optimizer
    steps, then follows a half cosine down to 0 at ``total_steps``.

    A short warm-up lets batch-normalised networks start at a high rate without diverging;
    the long decay replaces hand-tuned "divide by 10 at epoch N" steps.
    """
    import keras

    if peak <= 0:
        raise ValueError(f"peak learning rate must be > 0, got {peak}")
    if not 0 <= warmup_steps < total_steps:
        raise ValueError(f"need 0 <= warmup_steps < total_steps, got warmup_steps={warmup_steps}, "
                         f"total_steps={total_steps}")
    if warmup_steps == 0:
        return keras.optimizers.schedules.CosineDecay(peak, decay_steps=total_steps)
    return keras.optimizers.schedules.CosineDecay(0.0, decay_steps=total_steps - warmup_steps,
                                                  warmup_target=peak, warmup_steps=warmup_steps)


def fit_classifier(model, train_ds, val_ds, epochs: int, learning_rate: float = 1e-3,
                   patience: int = 5, monitor: str = "val_accuracy", reduce_lr: bool = True,
                   schedule: str = "plateau", warmup_epochs: int = 1, log_dir=None, callbacks=()):
    """Compile with Adam and sparse categorical cross-entropy, then fit with early stopping.

    Early stopping watches ``monitor`` on the validation data and restores the best weights.
    ``schedule="plateau"`` (with ``reduce_lr``) halves the learning rate when the validation
    loss stalls for 2 epochs; ``schedule="cosine"`` warms up for ``warmup_epochs`` to
    ``learning_rate`` and decays it to 0 at the last planned epoch (:func:`cosine_schedule`;
    ``train_ds`` must then be a dataset of known length). ``log_dir``: write TensorBoard logs
    there (``tensorboard --logdir <folder>``); ``callbacks``: more Keras callbacks.
    One log line an epoch (``verbose=2``). Returns the ``History``; ``history.seconds`` holds
    the training wall time and ``history.best_epoch`` the epoch whose weights were kept.
    """
    import keras

    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    if schedule not in ("plateau", "cosine"):
        raise ValueError(f"schedule must be 'plateau' or 'cosine', got {schedule!r}")
    from .training import early_stopping

    callbacks = [early_stopping(patience=patience, monitor=monitor), *callbacks]
    if schedule == "cosine":
        steps = int(train_ds.cardinality()) if hasattr(train_ds, "cardinality") else -1
        if steps < 1:
            raise ValueError("schedule='cosine' needs a training dataset of known length "
                             "(a batched tf.data.Dataset from utils.pipeline.make_dataset)")
        rate = cosine_schedule(learning_rate, epochs * steps, min(warmup_epochs, epochs - 1) * steps)
    else:
        rate = learning_rate
        if reduce_lr:
            callbacks.append(keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=2))
    if log_dir is not None:
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(log_dir), profile_batch=0))
    model.compile(optimizer=keras.optimizers.Adam(rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, callbacks=callbacks,
                        verbose=2, shuffle=False)  # the tf.data pipeline shuffles
    history.seconds = time.perf_counter() - start
    scores = history.history[monitor]
    history.best_epoch = int(np.argmax(scores) if "acc" in monitor else np.argmin(scores)) + 1
    return history


def predict_classes(model, data) -> np.ndarray:
    """Most likely class of every example (``data``: array or dataset of images)."""
    return np.argmax(model.predict(data, verbose=0), axis=-1)


def accuracy_by_class(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Share of correct predictions within each true class."""
    y_true, y_pred = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} labels but {y_pred.size} predictions")
    correct = np.bincount(y_true, weights=(y_true == y_pred), minlength=n_classes)
    total = np.bincount(y_true, minlength=n_classes)
    return np.divide(correct, total, out=np.full(n_classes, np.nan), where=total > 0)
