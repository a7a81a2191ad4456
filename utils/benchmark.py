"""Training throughput (images per second): the tf.data pipeline against in-memory tensors.

Used by ``benchmarks/input_pipeline.py``; run by hand, never as a timed test.
"""
from __future__ import annotations

import time

import numpy as np


def training_throughput(build_model, x: np.ndarray, y: np.ndarray, batch_size: int = 128,
                        epochs: int = 2, source: str = "pipeline", seed: int = 42) -> float:
    """Images per second of ``model.fit`` over ``epochs`` timed epochs, after one warm-up epoch.

    source: ``"pipeline"`` feeds ``utils.pipeline.make_dataset`` (uint8 arrays, cached,
    shuffled, scaled on the fly, prefetched); ``"memory"`` feeds float32 tensors already
    scaled and resident in memory (Keras slices and shuffles them itself).
    """
    import keras
    import tensorflow as tf

    from .pipeline import make_dataset
    from .seed import set_seeds

    if source not in ("pipeline", "memory"):
        raise ValueError(f"source must be 'pipeline' or 'memory', got {source!r}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    set_seeds(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    if source == "pipeline":
        data = dict(x=make_dataset(x, y, batch_size, shuffle=True, seed=seed), shuffle=False)
    else:
        images = x[..., None] if x.ndim == 3 else x
        data = dict(x=tf.constant(images.astype("float32") / 255.0), y=tf.constant(y),
                    batch_size=batch_size, shuffle=True)
    model.fit(**data, epochs=1, verbose=0)  # warm-up: tracing, caching
    start = time.perf_counter()
    model.fit(**data, epochs=epochs, verbose=0)
    return len(x) * epochs / (time.perf_counter() - start)
