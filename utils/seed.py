"""Reproducible runs: one call seeds Python, NumPy and TensorFlow / Keras."""

from __future__ import annotations

import os
import random

import numpy as np

DEFAULT_SEED = 42


def set_seeds(seed: int = DEFAULT_SEED, deterministic_ops: bool = False) -> None:
    """Seed Python's ``random``, NumPy and the Keras backend (TensorFlow). Prints nothing.

    Call it in the setup cell and again right before each model is built, so that a
    model's initial weights do not depend on which cells ran before.

    ``deterministic_ops=True`` also asks TensorFlow for deterministic kernels (slower;
    worth it on a GPU when bit-identical reruns matter).
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started later
    random.seed(seed)
    np.random.seed(seed)
    import keras  # imported here: importing utils must stay cheap and side-effect free

    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
