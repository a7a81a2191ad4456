"""Measuring speed: training throughput, timed batches, FLOPs and run-time estimates.

- :func:`training_throughput`: images per second of the tf.data pipeline against in-memory
  tensors (used by ``benchmarks/input_pipeline.py``; run by hand, never as a timed test);
- :func:`time_train_steps`, :func:`time_predict` and :class:`BatchTimer` time a few
  batches; :func:`forward_flops`, :func:`estimate_seconds`, :func:`gpu_seconds` and
  :func:`transfer_run_estimate` turn them into the run time of a full run (notebooks 04-06
  print it), :func:`format_duration` writes it.

TensorFlow and Keras are imported inside the functions (importing ``utils`` stays cheap).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np


def training_throughput(
    build_model,
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int = 128,
    epochs: int = 2,
    source: str = "pipeline",
    seed: int = 42,
) -> float:
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
        data = {"x": make_dataset(x, y, batch_size, shuffle=True, seed=seed), "shuffle": False}
    else:
        images = x[..., None] if x.ndim == 3 else x
        data = {
            "x": tf.constant(images.astype("float32") / 255.0),
            "y": tf.constant(y),
            "batch_size": batch_size,
            "shuffle": True,
        }
    model.fit(**data, epochs=1, verbose=0)  # warm-up: tracing, caching
    start = time.perf_counter()
    model.fit(**data, epochs=epochs, verbose=0)
    return len(x) * epochs / (time.perf_counter() - start)


def forward_flops(model) -> int:
    """Floating-point operations of one forward pass of one example (2 x multiply-adds of
    the convolutional and dense layers; nested models included)."""
    import keras

    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            total += forward_flops(layer)
        elif isinstance(layer, keras.layers.Conv2D):
            k = int(np.prod(layer.kernel.shape))  # kh * kw * cin * cout (/ groups)
            oh, ow = layer.output.shape[1:3]
            total += 2 * k * int(oh) * int(ow)
        elif isinstance(layer, keras.layers.Dense):
            total += 2 * int(np.prod(layer.kernel.shape))
    return total


@contextlib.contextmanager
def _quiet_tf():
    """Silence TensorFlow's retracing warnings while timing (several models, one call each)."""
    import tensorflow as tf

    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        yield
    finally:
        logger.setLevel(level)


def _random_batch(model, batch_size: int, n_batches: int, seed: int):
    if n_batches < 1 or batch_size < 1:
        raise ValueError(f"need n_batches >= 1 and batch_size >= 1, got {n_batches}, {batch_size}")
    shape = tuple(model.inputs[0].shape[1:])
    if None in shape:
        raise ValueError(f"timing needs a fixed input size; the model takes {shape}")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch_size, *shape)).astype("float32")
    out = model.outputs[0].shape[-1]
    y = rng.integers(0, 2, size=(batch_size, 1)) if out == 1 else rng.integers(0, out, size=batch_size)
    return x, y.astype("float32")


def time_train_steps(model, batch_size: int, n_batches: int = 2, seed: int = 0) -> float:
    """Seconds per training step (forward + backward + update) on random inputs of the
    model's input shape: one warm-up step (graph tracing), then the **fastest** of
    ``n_batches`` steps (other programs on the machine slow the mean, not the minimum)."""
    x, y = _random_batch(model, batch_size, n_batches, seed)
    times = []
    with _quiet_tf():
        model.train_on_batch(x, y)  # warm-up
        for _ in range(n_batches):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times.append(time.perf_counter() - start)
    return min(times)


def time_predict(model, batch_size: int, n_batches: int = 2, seed: int = 0) -> float:
    """Seconds per forward pass of a batch: one warm-up, then the fastest of ``n_batches``."""
    x, _ = _random_batch(model, batch_size, n_batches, seed)
    times = []
    with _quiet_tf():
        model.predict_on_batch(x)
        for _ in range(n_batches):
            start = time.perf_counter()
            model.predict_on_batch(x)
            times.append(time.perf_counter() - start)
    return min(times)


class BatchTimer:
    """Keras callback factory: records the wall time of every training and evaluation batch.

    ``timer = BatchTimer(batch_size)``; ``model.fit(..., callbacks=[timer.callback])``;
    then ``timer.per_image("train")``. The first batch of each kind in each ``fit`` call is
    left out (it includes building the graph), and the fastest batch is taken: other
    programs on a shared machine make single batches slow, never fast.
    """

    def __init__(self, batch_size: int):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        import keras

        self.batch_size = batch_size
        self.times: dict[str, list[float]] = {"train": [], "test": []}
        timer = self

        class _Callback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                timer._first = {"train": True, "test": True}

            def on_train_batch_begin(self, batch, logs=None):
                timer._start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                timer._record("train")

            def on_test_batch_begin(self, batch, logs=None):
                timer._start = time.perf_counter()

            def on_test_batch_end(self, batch, logs=None):
                timer._record("test")

        self._first = {"train": True, "test": True}
        self._start = 0.0
        self.callback = _Callback()

    def _record(self, kind: str) -> None:
        elapsed = time.perf_counter() - self._start
        if self._first[kind]:
            self._first[kind] = False
            return
        self.times[kind].append(elapsed)

    def per_image(self, kind: str = "train") -> float:
        """Seconds per image of the fastest recorded batch of ``kind`` (``train`` or ``test``)."""
        if kind not in self.times:
            raise ValueError(f"kind must be 'train' or 'test', got {kind!r}")
        if not self.times[kind]:
            raise ValueError(
                f"no {kind} batch was timed besides the first of each fit: "
                "use at least two batches per epoch (more examples or a smaller batch)"
            )
        return min(self.times[kind]) / self.batch_size


# Basis of the GPU estimate: NVIDIA's published training throughput of ResNet-50 with mixed
# precision on a T4 (the free Colab GPU) is of the order of 250-300 images/s; one ResNet-50
# training image costs about 3 x 8.2 GFLOP, i.e. ~7 TFLOP/s sustained.
GPU_TFLOPS = 7.0
GPU_BASIS = (
    "assumed: an NVIDIA T4-class GPU (e.g. free Colab) with mixed precision sustaining "
    "~7 TFLOP/s, its published ResNet-50 training rate (~280 images/s at ~3 x 8.2 GFLOP "
    "each); a lower bound: the input pipeline is not counted, and small images or many "
    "thin layers (DenseNet) keep a GPU well below that rate"
)


def estimate_seconds(seconds_per_example: float, n_examples: int, epochs: int = 1) -> float:
    """Time of ``epochs`` passes over ``n_examples`` at a measured per-example cost."""
    if seconds_per_example < 0 or n_examples < 0 or epochs < 0:
        raise ValueError("times, counts and epochs must be non-negative")
    return seconds_per_example * n_examples * epochs


def gpu_seconds(
    flops_per_example: float, n_examples: int, epochs: int = 1, tflops: float = GPU_TFLOPS
) -> float:
    """Estimated GPU time from a FLOP count and an assumed sustained rate (see ``GPU_BASIS``)."""
    if tflops <= 0:
        raise ValueError(f"tflops must be positive, got {tflops}")
    return flops_per_example * n_examples * epochs / (tflops * 1e12)


def transfer_run_estimate(
    per_image: dict[str, float],
    flops_per_image: float,
    n_train: int,
    n_val: int,
    n_test: int,
    epochs_frozen: int,
    epochs_fine: int,
    tflops: float = GPU_TFLOPS,
) -> dict[str, float]:
    """Seconds of a full two-phase run: evaluation before training, the frozen phase, the
    fine-tuning phase (each epoch: a training pass and a validation pass) and the test set.

    ``per_image``: CPU seconds per image of a training step with the base frozen
    (``frozen``), while fine-tuning (``fine_tune``) and of an evaluation step (``eval``),
    e.g. from :class:`BatchTimer`. The GPU figure counts
    forward FLOPs: 1x per training image with a frozen base (no gradient flows into it),
    3x when fine-tuning (an upper bound: only the top block needs the backward pass), 1x
    per evaluated image, at an assumed ``tflops`` (see ``GPU_BASIS``).
    """
    missing = {"frozen", "fine_tune", "eval"} - set(per_image)
    if missing:
        raise KeyError(
            f"per_image lacks {sorted(missing)}; give seconds per image for "
            "'frozen', 'fine_tune' and 'eval' (see BatchTimer)"
        )
    evals = n_val * (1 + epochs_frozen + epochs_fine) + n_test
    cpu = (
        epochs_frozen * n_train * per_image["frozen"]
        + epochs_fine * n_train * per_image["fine_tune"]
        + evals * per_image["eval"]
    )
    gpu_images = epochs_frozen * n_train + 3 * epochs_fine * n_train + evals
    return {"cpu": cpu, "gpu": gpu_seconds(flops_per_image, gpu_images, tflops=tflops)}


def format_duration(seconds: float) -> str:
    """``75 -> '1.2 min'``, ``5400 -> '1.5 h'``, ``12 -> '12 s'``."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative: {seconds}")
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
