"""The distributed path (utils.distribution_strategy) on two logical CPU devices.

TensorFlow fixes its devices when it starts, so the CPU is split into two logical devices
in a fresh Python process. There, the same small model is trained twice from the same
weights on the same batches: once on one device (batch 64), once under MirroredStrategy
over the two devices (global batch 64 = 32 per replica). The weights must agree to 1e-5.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import json

    import numpy as np
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()]
    )
    import keras

    from utils import distribution_strategy, set_seeds

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    GLOBAL_BATCH = 64


    def build():
        inputs = keras.Input(shape=(8,))
        hidden = keras.layers.Dense(16, activation="relu")(inputs)
        return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))


    set_seeds(1)
    start = build().get_weights()


    def train(strategy):
        with strategy.scope():
            model = build()
            model.set_weights(start)
            model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
        model.fit(ds, epochs=3, verbose=0, shuffle=False)
        return model.get_weights()


    single = train(distribution_strategy(verbose=False))
    mirrored = distribution_strategy(devices=["/cpu:0", "/cpu:1"])
    both = train(mirrored)
    dist = mirrored.experimental_distribute_dataset(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
    )
    first = next(iter(dist))[0]
    print(json.dumps(dict(
        replicas=mirrored.num_replicas_in_sync,
        kind=type(mirrored).__name__,
        per_replica=[int(t.shape[0]) for t in mirrored.experimental_local_results(first)],
        max_diff=max(float(np.max(np.abs(a - b))) for a, b in zip(single, both)),
        moved=max(float(np.max(np.abs(a - b))) for a, b in zip(start, single)),
    )))
    """
)


def _run(code: str, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    if "TF_CONFIG" not in env:
        environ.pop("TF_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=environ, capture_output=True, text=True, timeout=300
    )


def test_mirrored_over_two_logical_cpus_matches_one_device():
    done = _run(SCRIPT)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "distribution: MirroredStrategy, replicas: 2"
    result = json.loads(lines[-1])
    assert result["kind"] == "MirroredStrategy" and result["replicas"] == 2
    assert result["per_replica"] == [32, 32]  # the global batch of 64 is split in two
    assert result["moved"] > 1e-2  # training changed the weights: the comparison means something
    assert result["max_diff"] < 1e-5, result


def test_default_strategy_on_one_device_and_bad_devices(capsys):
    from utils import distribution_strategy

    strategy = distribution_strategy()
    assert strategy.num_replicas_in_sync == 1
    assert capsys.readouterr().out == "distribution: DefaultDistributionStrategy, replicas: 1\n"
    with pytest.raises(ValueError, match="at least one device"):
        distribution_strategy(devices=[])


def test_tf_config_selects_multi_worker():
    # a one-worker "cluster" on a free local port: the strategy a cluster member would build
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tf_config = json.dumps(
        {"cluster": {"worker": [f"127.0.0.1:{port}"]}, "task": {"type": "worker", "index": 0}}
    )
    code = (
        "from utils import distribution_strategy; s = distribution_strategy(); print(s.num_replicas_in_sync)"
    )
    done = _run(code, TF_CONFIG=tf_config)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "distribution: MultiWorkerMirroredStrategy, replicas: 1" in done.stdout
