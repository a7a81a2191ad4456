"""Augmented batches are the same on every run (seeds everywhere: reruns give the same numbers)."""

import subprocess
import sys

SCRIPT = """
import hashlib, numpy as np, keras
from utils import set_seeds
from utils.pipeline import make_dataset
set_seeds(42)
rng = np.random.default_rng(0)
x = rng.integers(0, 255, size=(1024, 28, 28), dtype=np.uint8)
y = rng.integers(0, 10, 1024)
augment = keras.Sequential([keras.layers.RandomRotation(0.05, seed=1),
                            keras.layers.RandomTranslation(0.1, 0.1, seed=2)])
ds = make_dataset(x, y, 64, shuffle=True, augment=augment)
digest = hashlib.sha256()
for _ in range(2):  # two epochs: the reshuffle and the augmentation state both advance
    for images, labels in ds:
        digest.update(images.numpy().tobytes())
        digest.update(labels.numpy().tobytes())
print(digest.hexdigest())
"""


def _run() -> str:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        check=True,
        capture_output=True,
        text=True,
        env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"},
    )
    return out.stdout.strip().splitlines()[-1]


def test_augmented_pipeline_gives_the_same_batches_in_two_fresh_processes():
    # before the fix (augmentation in a parallel map) three fresh processes gave three digests
    assert _run() == _run()
