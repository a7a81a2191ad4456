"""Classroom exercises: the data handed to the student and the automatic check.

The student's notebook holds only the training split. :func:`check_model` loads the
held-out test split itself, refuses a model whose input or output shape does not fit
the data, computes the test accuracy from the model's predictions (whatever the
student compiled it with) and prints PASS or NOT YET against the exercise's target,
with a hint read from the training history when it fails::

    from utils.exercises import check_model, load_train_data
    x_train, y_train = load_train_data("mnist")          # (60000, 28, 28, 1) uint8, labels
    ...                                                  # the student's model, model.fit(...)
    result = check_model(model, "mnist", history=history)

Models take raw pixel values (0-255), as the training data comes: scaling belongs in
the model (a ``keras.layers.Rescaling(1 / 255)`` layer), so the check feeds the test
images exactly as the training images were fed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .data.images import FASHION_MNIST_CLASSES, MNIST_CLASSES, RPS_CLASSES


@dataclass(frozen=True)
class Exercise:
    """One classroom exercise: its data set, classes and target test accuracy."""

    name: str
    title: str
    target: float
    class_names: tuple[str, ...]
    from_folders: bool = False  # images come as folders (image_dataset_from_directory)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def __str__(self) -> str:
        return (
            f"Exercise {self.name!r}: {self.title} | {self.n_classes} classes | "
            f"target: test accuracy >= {self.target:.1%}"
        )


EXERCISES: dict[str, Exercise] = {
    "mnist": Exercise("mnist", "MNIST handwritten digits", 0.99, tuple(MNIST_CLASSES)),
    "fashion_mnist": Exercise("fashion_mnist", "Fashion-MNIST clothing", 0.91, tuple(FASHION_MNIST_CLASSES)),
    "rock_paper_scissors": Exercise(
        "rock_paper_scissors",
        "Rock-Paper-Scissors hand gestures",
        0.95,
        tuple(RPS_CLASSES),
        from_folders=True,
    ),
}


def get_exercise(name: str) -> Exercise:
    """The exercise called ``name`` (``mnist``, ``fashion_mnist``, ``rock_paper_scissors``)."""
    try:
        return EXERCISES[name]
    except KeyError:
        raise KeyError(f"unknown exercise {name!r}; the exercises are {sorted(EXERCISES)}") from None


class ModelShapeError(ValueError):
    """The model's input or output does not fit the exercise's data."""


@dataclass
class CheckResult:
    """What :func:`check_model` found. ``y_true`` / ``y_pred``: test labels and predictions."""

    exercise: str
    accuracy: float
    target: float
    n_test: int
    hint: str = ""
    y_true: np.ndarray = field(default=None, repr=False)
    y_pred: np.ndarray = field(default=None, repr=False)

    @property
    def passed(self) -> bool:
        return self.accuracy >= self.target

    @property
    def report(self) -> str:
        verdict = "PASS" if self.passed else "NOT YET"
        lines = [
            f"{verdict}: test accuracy {self.accuracy:.2%} on {self.n_test:,} held-out test images "
            f"(target >= {self.target:.1%}, exercise {self.exercise!r})"
        ]
        if not self.passed and self.hint:
            lines.append(f"Hint: {self.hint}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report


# --- data handed to the student ---------------------------------------------------------------


def _load_arrays(exercise: Exercise, split: str, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    from .data import load_fashion_mnist, load_mnist

    loader = {"mnist": load_mnist, "fashion_mnist": load_fashion_mnist}[exercise.name]
    train, test = loader(data_dir=data_dir)
    x, y = train if split == "train" else test
    return x[..., None], y  # (n, 28, 28) -> (n, 28, 28, 1): one grey channel, as Conv2D expects


def load_train_data(name: str, n: int | None = None, data_dir=None) -> tuple[np.ndarray, np.ndarray]:
    """The training split of an array exercise: ``x`` ``(n, 28, 28, 1)`` uint8 (0-255), ``y`` uint8.

    ``n`` keeps the first ``n`` images (smoke runs). The test split is not returned:
    :func:`check_model` loads it. Rock-Paper-Scissors comes as folders instead: see
    :func:`utils.data.rps_directories` and ``keras.utils.image_dataset_from_directory``.
    """
    exercise = get_exercise(name)
    if exercise.from_folders:
        raise ValueError(
            f"exercise {name!r} reads its images from folders: use "
            "`train_dir, _ = utils.data.rps_directories()` and "
            "`keras.utils.image_dataset_from_directory(train_dir, ...)`"
        )
    if n is not None and n < 1:
        raise ValueError(f"n must be a positive number of images or None (all), got {n!r}")
    x, y = _load_arrays(exercise, "train", data_dir)
    return (x[:n], y[:n]) if n is not None else (x, y)


def folder_dataset(
    directory,
    image_size: int | Sequence[int],
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int = 42,
    **kwargs,
):
    """``keras.utils.image_dataset_from_directory`` with the course's settings (RGB, integer labels,
    class sub-folders in alphabetical order); used by the check to read a test folder."""
    import keras

    size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
    return keras.utils.image_dataset_from_directory(
        directory,
        labels="inferred",
        label_mode="int",
        color_mode="rgb",
        image_size=size,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        verbose=False,
        **kwargs,
    )


def _test_batches(exercise: Exercise, image_size, data_dir, batch_size: int):
    """The held-out test split as ``(input_shape, [(x, y), ...] iterable)``."""
    if not exercise.from_folders:
        x, y = _load_arrays(exercise, "test", data_dir)
        x = x.astype("float32")
        batches = ((x[i : i + batch_size], y[i : i + batch_size]) for i in range(0, len(x), batch_size))
        return x.shape[1:], batches
    if image_size is None:
        raise ValueError(
            f"exercise {exercise.name!r}: pass image_size=, the (height, width) the "
            "training images were loaded at (the image_size of image_dataset_from_directory)"
        )
    from .data import rps_directories

    _, test_dir = rps_directories(data_dir=data_dir)
    ds = folder_dataset(test_dir, image_size, batch_size=batch_size, shuffle=False)
    if list(ds.class_names) != list(exercise.class_names):
        raise ValueError(f"test folder classes {ds.class_names} differ from {list(exercise.class_names)}")
    shape = tuple(int(d) for d in ds.element_spec[0].shape[1:])
    return shape, ((x.numpy(), y.numpy()) for x, y in ds)


# --- the checks -------------------------------------------------------------------------------


def _shape(tensor) -> tuple:
    return tuple(None if d is None else int(d) for d in tensor.shape)


def validate_model(model, input_shape: Sequence[int], n_classes: int) -> None:
    """Raise :class:`ModelShapeError` unless ``model`` takes images of ``input_shape``
    (without the batch axis) and returns ``n_classes`` scores an image."""
    import keras

    input_shape = tuple(int(d) for d in input_shape)
    wanted_in = f"keras.Input(shape={input_shape})"
    if not isinstance(model, keras.Model):
        raise ModelShapeError(f"expected a keras.Model, got {type(model).__name__}")
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not inputs or not outputs:
        raise ModelShapeError(
            "the model has no defined input yet: start it with "
            f"{wanted_in} (or call it on data once) so its shapes are known"
        )
    if len(inputs) != 1 or len(outputs) != 1:
        raise ModelShapeError(
            f"expected one input and one output, the model has {len(inputs)} inputs "
            f"and {len(outputs)} outputs"
        )
    got_in = _shape(inputs[0])[1:]
    fits = len(got_in) == len(input_shape) and all(g is None or g == w for g, w in zip(got_in, input_shape))
    if not fits:
        raise ModelShapeError(
            f"the model expects images of shape {got_in} but the exercise's images have "
            f"shape {input_shape} (height, width, channels): start the model with "
            f"{wanted_in}"
        )
    got_out = _shape(outputs[0])[1:]
    if got_out != (n_classes,):
        raise ModelShapeError(
            f"the model outputs shape {got_out} an image but the exercise has {n_classes} "
            f"classes: end the model with keras.layers.Dense({n_classes}, "
            "activation='softmax')"
        )


def _history_dict(history) -> dict[str, list[float]]:
    hist = getattr(history, "history", history)
    if hist is None:
        return {}
    if not isinstance(hist, Mapping):
        raise TypeError(
            f"history must be the History that model.fit returned (or its .history dict), "
            f"got {type(history).__name__}"
        )
    return {k: list(v) for k, v in hist.items()}


def diagnose(history, accuracy: float, target: float, n_classes: int) -> str:
    """A hint for a model below target, read from its training history (may be ``None``)."""
    if accuracy < 1.2 / n_classes:
        return (
            f"the accuracy is near chance ({1 / n_classes:.0%} for {n_classes} classes): was the model "
            "trained (model.fit) and does it scale the raw pixels it gets (keras.layers.Rescaling(1 / 255))?"
        )
    hist = _history_dict(history)
    if not hist:
        return (
            "pass history=<what model.fit returned> to get a hint from the training curves; usually "
            "a deeper network (two or three Conv2D + MaxPooling2D blocks) and more epochs help."
        )
    train, val = hist.get("accuracy"), hist.get("val_accuracy")
    if not train:
        return "compile with metrics=['accuracy'] so that the curves show the accuracy."
    if val:
        best = int(np.argmax(val))
        gap = train[-1] - val[-1]
        if gap > 0.02 or (len(val) - 1 - best >= 3 and val[-1] < val[best] - 0.005):
            return (
                f"over-fitting: training accuracy {train[-1]:.1%} vs validation {val[-1]:.1%} in the last "
                f"epoch (best validation {val[best]:.1%} in epoch {best + 1}). Add Dropout or data "
                "augmentation, use BatchNormalization, or stop earlier "
                "(keras.callbacks.EarlyStopping(restore_best_weights=True))."
            )
        if val[-1] >= target or val[-1] - accuracy > 0.05:
            return (
                f"validation accuracy {val[-1]:.1%} but test accuracy {accuracy:.1%}: the test images "
                "differ from the training images more than the validation images do. Data augmentation "
                "makes the model robust to such differences."
            )
    if train[-1] < target + 0.005:
        return (
            f"under-fitting: even the training accuracy is only {train[-1]:.1%}. Give the model more "
            "capacity (more Conv2D filters and blocks), train more epochs, or check the learning rate."
        )
    return "train a little longer or with a lower learning rate, and compare the curves of your attempts."


def check_model(
    model,
    name: str,
    history=None,
    target: float | None = None,
    image_size=None,
    data_dir=None,
    batch_size: int = 256,
    verbose: bool = True,
) -> CheckResult:
    """Evaluate ``model`` on the exercise's held-out test split and print PASS / NOT YET.

    history:    what ``model.fit`` returned (for a hint when the model falls short).
    target:     test accuracy to reach; default: the exercise's target.
    image_size: Rock-Paper-Scissors only: the ``(height, width)`` the training images were loaded at.
    """
    exercise = get_exercise(name)
    target = exercise.target if target is None else float(target)
    if not 0 < target <= 1:
        raise ValueError(f"target must be an accuracy in (0, 1], got {target!r}")
    input_shape, batches = _test_batches(exercise, image_size, data_dir, batch_size)
    validate_model(model, input_shape, exercise.n_classes)
    y_true, y_pred = [], []
    for x, y in batches:
        scores = np.asarray(model.predict_on_batch(x))
        y_pred.append(scores.argmax(axis=-1))
        y_true.append(np.asarray(y))
    y_true, y_pred = np.concatenate(y_true).astype(int), np.concatenate(y_pred).astype(int)
    accuracy = float(np.mean(y_true == y_pred))
    result = CheckResult(
        exercise=exercise.name,
        accuracy=accuracy,
        target=target,
        n_test=len(y_true),
        y_true=y_true,
        y_pred=y_pred,
    )
    if not result.passed:
        result.hint = diagnose(history, accuracy, target, exercise.n_classes)
    if verbose:
        print(result.report)
    return result


# --- figures shared by the exercises ----------------------------------------------------------


def plot_class_balance(labels, class_names: Sequence[str], title: str | None = None):
    """Bar chart of how many images each class has (``labels``: class indices)."""
    import matplotlib.pyplot as plt

    labels = np.asarray(labels).ravel().astype(int)
    if labels.size == 0:
        raise ValueError("no labels to count")
    if labels.min() < 0 or labels.max() >= len(class_names):
        raise ValueError(
            f"labels run from {labels.min()} to {labels.max()} but there are {len(class_names)} class names"
        )
    counts = np.bincount(labels, minlength=len(class_names))
    fig, ax = plt.subplots(figsize=(max(4.0, 0.6 * len(class_names) + 2), 3))
    bars = ax.bar(range(len(class_names)), counts)
    ax.bar_label(bars, fontsize=8)
    tilt = max(len(str(c)) for c in class_names) > 3 and len(class_names) > 5
    ax.set_xticks(
        range(len(class_names)), class_names, rotation=30 if tilt else 0, ha="right" if tilt else "center"
    )
    ax.set_ylabel("images")
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.counts = counts
    return fig
