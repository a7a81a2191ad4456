import random

import numpy as np
import pytest

from utils.devices import DeviceInfo, _gpu_supports_fast_fp16, setup_devices
from utils.seed import set_seeds


def _draw():
    import keras

    layer = keras.layers.Dense(4)
    layer.build((None, 3))
    return random.random(), np.random.rand(), layer.kernel.numpy().copy()


def test_same_seed_same_numbers_everywhere(capsys):
    set_seeds(7)
    first = _draw()
    set_seeds(7)
    second = _draw()
    assert first[0] == second[0] and first[1] == second[1]
    np.testing.assert_array_equal(first[2], second[2])
    set_seeds(8)
    assert _draw()[1] != first[1]
    assert capsys.readouterr().out == ""  # seeding prints nothing


@pytest.mark.parametrize("bad", [-1, 1.5, "42", None])
def test_bad_seed_is_refused(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        set_seeds(bad)


def test_cpu_run_stays_float32(capsys):
    import keras

    info = setup_devices()
    assert isinstance(info, DeviceInfo)
    assert keras.mixed_precision.global_policy().name == "float32"
    assert info.mixed_precision is False
    assert "precision policy: float32" in capsys.readouterr().out
    assert info.cpus >= 1


def test_setup_devices_quiet_and_bad_argument(capsys):
    setup_devices(verbose=False)
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="mixed_precision must be"):
        setup_devices(mixed_precision="yes")


def test_gpu_path_sets_memory_growth_and_mixed_precision(monkeypatch):
    """Simulated GPU: memory growth requested, mixed_float16 only with tensor cores."""
    import keras
    import tensorflow as tf

    grown = []
    fake = tf.config.PhysicalDevice(name="/physical_device:GPU:0", device_type="GPU")
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [fake] if kind == "GPU" else [])
    monkeypatch.setattr(
        tf.config.experimental, "set_memory_growth", lambda dev, flag: grown.append((dev, flag))
    )
    details = {"device_name": "Fake GPU", "compute_capability": (8, 0)}
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda dev: details)
    try:
        info = setup_devices(verbose=False)
        assert grown == [(fake, True)]
        assert info.gpus == ["Fake GPU"] and info.mixed_precision
        assert keras.mixed_precision.global_policy().name == "mixed_float16"
        details["compute_capability"] = (6, 1)  # no tensor cores: stay float32 under "auto"
        assert setup_devices(verbose=False).mixed_precision is False
        assert setup_devices(mixed_precision=False, verbose=False).mixed_precision is False
        assert setup_devices(mixed_precision=True, verbose=False).mixed_precision is True
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_fast_fp16_detection():
    assert _gpu_supports_fast_fp16({"compute_capability": (7, 0)})
    assert not _gpu_supports_fast_fp16({"compute_capability": (6, 1)})
    assert not _gpu_supports_fast_fp16({})


def test_deterministic_ops_flag_asks_tensorflow(monkeypatch):
    import tensorflow as tf

    calls = []
    monkeypatch.setattr(tf.config.experimental, "enable_op_determinism", lambda: calls.append(True))
    set_seeds(1)
    assert calls == []
    set_seeds(1, deterministic_ops=True)
    assert calls == [True]


def test_cpu_has_bfloat16_reads_the_flags():
    from utils.devices import cpu_has_bfloat16

    assert cpu_has_bfloat16("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16 avx512_vnni\n")
    assert cpu_has_bfloat16("flags\t: fpu amx_tile amx_bf16\n")
    assert not cpu_has_bfloat16("flags\t: fpu sse2 avx2 avx512f avx512bw\n")  # no bfloat16 hardware
    assert not cpu_has_bfloat16("")  # e.g. no flags line at all
    assert isinstance(cpu_has_bfloat16(), bool)  # this machine's /proc/cpuinfo, or False


def test_fast_precision_by_device():
    from utils.devices import fast_precision

    cpu = DeviceInfo(tensorflow="2", keras="3", cpus=2)
    assert fast_precision(cpu, cpuinfo="flags : avx512f avx512_bf16\n") == "mixed_bfloat16"
    assert fast_precision(cpu, cpuinfo="flags : avx512f\n") == "float32"
    gpu_tc = DeviceInfo(tensorflow="2", keras="3", cpus=2, gpus=["T4"], mixed_precision=True)
    old_gpu = DeviceInfo(tensorflow="2", keras="3", cpus=2, gpus=["K80"], mixed_precision=False)
    # a GPU decides, whatever the CPU has
    assert fast_precision(gpu_tc, cpuinfo="flags : avx512_bf16\n") == "mixed_float16"
    assert fast_precision(old_gpu, cpuinfo="flags : avx512_bf16\n") == "float32"
