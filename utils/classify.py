"""Training and evaluating image classifiers the same way in every notebook."""
from __future__ import annotations

import time

import numpy as np


def fit_classifier(model, train_ds, val_ds, epochs: int, learning_rate: float = 1e-3,
                   patience: int = 5, monitor: str = "val_accuracy", reduce_lr: bool = True):
    """Compile with Adam and sparse categorical cross-entropy, then fit with early stopping.

    Early stopping watches ``monitor`` on the validation data and restores the best weights;
    ``reduce_lr`` halves the learning rate when the validation loss stalls for 2 epochs.
    One log line an epoch (``verbose=2``). Returns the ``History``; ``history.seconds`` holds
    the training wall time and ``history.best_epoch`` the epoch whose weights were kept.
    """
    import keras

    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    from .training import early_stopping

    callbacks = [early_stopping(patience=patience, monitor=monitor)]
    if reduce_lr:
        callbacks.append(keras.callbacks.ReduceLROnPlateau("val_loss", factor=0.5, patience=2))
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
