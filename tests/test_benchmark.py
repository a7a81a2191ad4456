"""utils.benchmark: timed batches, FLOP counts and the run-time estimates of notebooks 04-06."""

import keras
import numpy as np
import pytest

from utils import benchmark as B


def _tiny_classifier(shape=(32, 32, 3)):
    inp = keras.Input(shape=shape)
    x = keras.layers.Conv2D(4, 3)(inp)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inp, keras.layers.Dense(1)(x))
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))
    return model


def test_forward_flops_counts_conv_and_dense():
    inp = keras.Input(shape=(8, 8, 1))
    x = keras.layers.Conv2D(2, 3, name="c")(inp)  # 6x6x2 out, 9 weights per output
    x = keras.layers.Flatten()(x)
    out = keras.layers.Dense(1)(x)  # 72 multiply-adds
    assert B.forward_flops(keras.Model(inp, out)) == 2 * (9 * 2 * 36) + 2 * 72


def test_forward_flops_of_vgg16_at_224():
    base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(224, 224, 3))
    assert abs(B.forward_flops(base) / 1e9 - 30.7) < 0.3  # 15.3 G multiply-adds, the known figure


def test_forward_flops_looks_into_a_nested_base():
    inner = _tiny_classifier((8, 8, 3))
    x = keras.Input(shape=(8, 8, 3))
    outer = keras.Model(x, keras.layers.Dense(2)(inner(x)))
    assert B.forward_flops(outer) == B.forward_flops(inner) + 2 * 2


def test_time_train_steps_and_predict():
    model = _tiny_classifier()
    assert B.time_train_steps(model, batch_size=2, n_batches=1) > 0
    assert B.time_predict(model, batch_size=2, n_batches=1) > 0
    with pytest.raises(ValueError):
        B.time_train_steps(model, batch_size=0)


def test_time_estimates():
    assert B.estimate_seconds(0.5, 100, epochs=2) == 100
    assert B.gpu_seconds(1e12, 7, tflops=7.0) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        B.estimate_seconds(-1, 10)
    with pytest.raises(ValueError, match="tflops"):
        B.gpu_seconds(1, 1, tflops=0)
    assert [B.format_duration(s) for s in (12, 75, 600, 5400)] == ["12 s", "75 s", "10.0 min", "1.5 h"]
    with pytest.raises(ValueError):
        B.format_duration(-1)


def test_timing_needs_a_fixed_input_size():
    inp = keras.Input(shape=(None, None, 3))
    model = keras.Model(inp, keras.layers.GlobalAveragePooling2D()(inp))
    with pytest.raises(ValueError, match="fixed input size"):
        B.time_predict(model, batch_size=2)


def test_run_estimate():
    est = B.transfer_run_estimate(
        {"frozen": 1.0, "fine_tune": 2.0, "eval": 0.5},
        flops_per_image=7e12,
        n_train=10,
        n_val=2,
        n_test=4,
        epochs_frozen=3,
        epochs_fine=2,
        tflops=7.0,
    )
    # cpu: 3*10*1 + 2*10*2 + (2*(1+3+2) + 4)*0.5 = 30 + 40 + 8
    assert est["cpu"] == pytest.approx(78.0)
    # gpu: images-equivalent 3*10 + 3*2*10 + 16 = 106, one second each
    assert est["gpu"] == pytest.approx(106.0)
    with pytest.raises(KeyError, match="BatchTimer"):
        B.transfer_run_estimate({"frozen": 1.0}, 1, 1, 1, 1, 1, 1)


def test_batch_timer_skips_the_first_batch_of_each_fit():
    model = _tiny_classifier()
    x, y = np.zeros((8, 32, 32, 3), "float32"), np.zeros((8, 1), "float32")
    timer = B.BatchTimer(batch_size=2)
    model.fit(x, y, batch_size=2, epochs=2, validation_data=(x, y), verbose=0, callbacks=[timer.callback])
    assert len(timer.times["train"]) == 2 * 4 - 1 and len(timer.times["test"]) == 2 * 4 - 1
    assert 0 < timer.per_image("train") < 1 and timer.per_image("test") > 0
    empty = B.BatchTimer(batch_size=8)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, callbacks=[empty.callback])
    with pytest.raises(ValueError, match="at least two batches"):
        empty.per_image("train")
    with pytest.raises(ValueError, match="kind"):
        empty.per_image("predict")
    with pytest.raises(ValueError, match="batch_size"):
        B.BatchTimer(0)
