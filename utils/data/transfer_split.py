"""CIFAR-10 cut into a source task and a target task, for the course's own transfer learning.

Notebook 04 pretrains a network on the **source task**: the 8 classes other than the
target classes. Notebooks 04 and 05 then learn the **target task** (cat vs dog by default)
from a few labelled images. The source network never sees a target image:

- ``source_train`` / ``source_test``: the source classes of CIFAR-10's training / test split,
  labels renumbered 0-7 in CIFAR-10's order (``source_classes``);
- ``target_val``: target images of the *training* split, to watch training and choose settings;
- ``target_train``: the other target images of the training split, ordered so that every
  prefix is balanced (cat, dog, cat, dog, ...): ``budget(n)`` takes the first ``n``, so the
  300-image budget contains the 100-image one;
- ``target_test``: the target images of CIFAR-10's *test* split, for one evaluation at the end.

The ``*_index`` fields say which row of the original split each image came from (tests use
them to prove that the parts do not overlap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .images import CIFAR10_CLASSES, Split, load_cifar10


@dataclass(frozen=True)
class TransferSplit:
    source_classes: tuple[str, ...]
    target_classes: tuple[str, ...]
    source_train: Split
    source_test: Split
    target_train: Split
    target_val: Split
    target_test: Split
    source_train_index: np.ndarray  # rows of CIFAR-10's training split
    source_test_index: np.ndarray  # rows of CIFAR-10's test split
    target_train_index: np.ndarray  # rows of CIFAR-10's training split
    target_val_index: np.ndarray  # rows of CIFAR-10's training split
    target_test_index: np.ndarray  # rows of CIFAR-10's test split

    def budget(self, n: int) -> Split:
        """The first ``n`` labelled target images (balanced across the target classes)."""
        x, y = self.target_train
        k = len(self.target_classes)
        if not k <= n <= len(y):
            raise ValueError(f"a label budget must be between {k} and {len(y)} images, got {n}")
        return x[:n], y[:n]

    def summary(self) -> str:
        """One line per part: images, classes."""
        rows = [
            ("source train", self.source_train, self.source_classes, "CIFAR-10 train"),
            ("source test", self.source_test, self.source_classes, "CIFAR-10 test"),
            ("target train (pool)", self.target_train, self.target_classes, "CIFAR-10 train"),
            ("target validation", self.target_val, self.target_classes, "CIFAR-10 train"),
            ("target test", self.target_test, self.target_classes, "CIFAR-10 test"),
        ]
        lines = []
        for name, (_, y), classes, origin in rows:
            counts = np.bincount(y, minlength=len(classes))
            lines.append(
                f"{name:20s} {len(y):>6,} images from {origin:14s} "
                + ", ".join(f"{c} {n:,}" for c, n in zip(classes, counts))
            )
        return "\n".join(lines)


def _interleaved(y: np.ndarray, classes: list[int], rng: np.random.Generator) -> np.ndarray:
    """Rows of ``classes`` in ``y``, shuffled within each class, then taken in turn (a, b, a, b, ...)."""
    per_class = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    m = min(len(p) for p in per_class)
    return np.stack([p[:m] for p in per_class], axis=1).ravel()


def cifar10_transfer_split(
    data: tuple[Split, Split] | None = None,
    target: tuple[str, ...] = ("cat", "dog"),
    n_val: int = 1000,
    n_source: int | None = None,
    n_target: int | None = None,
    n_test: int | None = None,
    seed: int = 42,
) -> TransferSplit:
    """Cut CIFAR-10 into the source task (the classes not in ``target``) and the target task.

    data: ``load_cifar10()``'s result (loaded when None).
    n_val: target validation images (from the training split).
    n_source, n_target, n_test: keep only this many source training images (a random sample;
      the source test images shrink in proportion), target pool images and target test images
      (None: all; smaller values for quick runs).
    """
    unknown = [c for c in target if c not in CIFAR10_CLASSES]
    if unknown or len(set(target)) != len(target) or len(target) < 2:
        raise ValueError(
            f"target must be at least two different CIFAR-10 class names out of {CIFAR10_CLASSES}, got {target}"
        )
    (x_train, y_train), (x_test, y_test) = load_cifar10() if data is None else data
    rng = np.random.default_rng(seed)
    target_ids = [CIFAR10_CLASSES.index(c) for c in target]
    source_ids = [i for i in range(len(CIFAR10_CLASSES)) if i not in target_ids]
    source_map = np.full(len(CIFAR10_CLASSES), -1)
    source_map[source_ids] = np.arange(len(source_ids))
    target_map = np.full(len(CIFAR10_CLASSES), -1)
    target_map[target_ids] = np.arange(len(target_ids))

    src_train = rng.permutation(np.flatnonzero(np.isin(y_train, source_ids)))
    src_test = rng.permutation(np.flatnonzero(np.isin(y_test, source_ids)))
    if n_source is not None:
        share = n_source / len(src_train)
        src_train = src_train[:n_source]
        src_test = src_test[: max(1, round(share * len(src_test)))]

    pool = _interleaved(y_train, target_ids, rng)
    if n_val >= len(pool):
        raise ValueError(f"n_val={n_val} leaves no training images: the target classes have {len(pool)}")
    val, pool = pool[:n_val], pool[n_val:]
    if n_target is not None:
        pool = pool[:n_target]
    tst = _interleaved(y_test, target_ids, rng)
    if n_test is not None:
        tst = tst[:n_test]

    def part(x, y, rows, mapping):
        return x[rows], mapping[y[rows]].astype(np.uint8)

    return TransferSplit(
        source_classes=tuple(CIFAR10_CLASSES[i] for i in source_ids),
        target_classes=tuple(target),
        source_train=part(x_train, y_train, src_train, source_map),
        source_test=part(x_test, y_test, src_test, source_map),
        target_train=part(x_train, y_train, pool, target_map),
        target_val=part(x_train, y_train, val, target_map),
        target_test=part(x_test, y_test, tst, target_map),
        source_train_index=src_train,
        source_test_index=src_test,
        target_train_index=pool,
        target_val_index=val,
        target_test_index=tst,
    )
