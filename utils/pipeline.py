"""The course's input pipeline: arrays in, a batched, cached, prefetched ``tf.data.Dataset`` out.

Order of operations (each a lesson of the tf.data performance guide):

1. ``from_tensor_slices`` on the uint8 arrays (small in memory);
2. ``cache()`` so the source is read once;
3. ``shuffle`` with a fixed seed (training only; a full-size buffer, reshuffled each epoch);
4. ``batch`` then augmentation on whole batches (vectorised, cheaper than per image);
5. scaling to floats in [0, 1] after augmentation;
6. ``prefetch(AUTOTUNE)`` so the next batch is ready while the model trains on this one.
"""

from __future__ import annotations

import numpy as np


def make_dataset(
    x: np.ndarray,
    y: np.ndarray | None = None,
    batch_size: int = 128,
    shuffle: bool = False,
    augment=None,
    seed: int = 42,
    scale: float | None = 1 / 255,
    add_channel: bool | None = None,
    cache: bool = True,
):
    """Build a ``tf.data.Dataset`` of ``(images, labels)`` batches (or images only when ``y`` is None).

    x: ``(n, h, w)`` or ``(n, h, w, c)`` images (uint8 or float).
    augment: a Keras layer or ``keras.Sequential`` of preprocessing layers, applied to each
      training batch with ``training=True`` (e.g. RandomFlip, RandomTranslation); None for none.
    scale: multiply pixels by this after augmentation (None: leave values as they are).
    add_channel: add a trailing channel axis to ``(n, h, w)`` input (default: when x is 3-D).
    """
    import tensorflow as tf

    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"images must have shape (n, h, w) or (n, h, w, c), got {x.shape}")
    if y is not None and len(y) != len(x):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if add_channel is None:
        add_channel = x.ndim == 3
    if add_channel:
        x = x[..., None]
    ds = tf.data.Dataset.from_tensor_slices(x if y is None else (x, np.asarray(y)))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def prepare(images, *labels):
        images = tf.cast(images, tf.float32)
        if augment is not None:
            images = augment(images, training=True)
        if scale is not None:
            images = images * scale
        return (images, *labels) if labels else images

    # random augmentation layers carry a seed state: a parallel map would advance it in a
    # different order on every run, so augmented batches are made one at a time (same
    # images on every run); without augmentation the map is pure and runs in parallel
    if augment is None:
        ds = ds.map(prepare, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    else:
        ds = ds.map(prepare)
    return ds.prefetch(tf.data.AUTOTUNE)


def train_val_split(
    x: np.ndarray, y: np.ndarray, val_fraction: float = 0.1, seed: int = 42, stratify: bool = True
):
    """Carve a validation set out of training data: ``(x_train, y_train), (x_val, y_val)``.

    Stratified by class (each class keeps its share) and shuffled with ``seed``.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"{len(x)} images but {len(y)} labels")
    rng = np.random.default_rng(seed)
    if stratify:
        val_idx = []
        for cls in np.unique(y):
            members = np.flatnonzero(y == cls)
            take = int(round(len(members) * val_fraction))
            val_idx.append(rng.choice(members, size=take, replace=False))
        val_idx = np.concatenate(val_idx)
    else:
        val_idx = rng.choice(len(y), size=int(round(len(y) * val_fraction)), replace=False)
    is_val = np.zeros(len(y), dtype=bool)
    is_val[val_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_val))
    val_idx = rng.permutation(np.flatnonzero(is_val))
    return (x[train_idx], y[train_idx]), (x[val_idx], y[val_idx])
