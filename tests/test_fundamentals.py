import numpy as np
import pytest

from utils import fundamentals as F
from utils import lessons as L  # the optimizers' update rules, written in notebook 00

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------ activations
@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu"])
def test_activation_matches_keras(name):
    import keras

    x = np.linspace(-4, 4, 81)
    kf = {"leaky_relu": lambda t: keras.activations.leaky_relu(t, negative_slope=0.1)}.get(
        name, getattr(keras.activations, name)
    )
    expected = np.asarray(kf(x.astype("float32")))
    np.testing.assert_allclose(F.activation(name, x), expected, atol=1e-6)


@pytest.mark.parametrize("name", ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"])
def test_derivative_matches_finite_differences(name):
    x = np.array([-2.3, -0.7, 0.4, 1.9])  # away from the kink of relu at 0
    h = 1e-6
    if name == "softmax":  # diagonal of the Jacobian: perturb one logit at a time
        num = np.array(
            [
                (F.softmax(x + h * e)[i] - F.softmax(x - h * e)[i]) / (2 * h)
                for i, e in enumerate(np.eye(len(x)))
            ]
        )
    else:
        num = (F.activation(name, x + h) - F.activation(name, x - h)) / (2 * h)
    np.testing.assert_allclose(F.activation_derivative(name, x), num, atol=1e-6)


def test_softmax_is_stable_and_sums_to_one():
    p = F.softmax(np.array([[1000.0, 1000.0, 0.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[0, :2], 0.5)


def test_unknown_activation_names_the_choices():
    with pytest.raises(KeyError, match="choose one of"):
        F.activation("swishy", [0.0])


def test_activation_properties_measures_range_and_saturation():
    t = F.activation_properties(["sigmoid", "relu", "tanh"])
    assert t.loc["sigmoid", "f(0)"] == pytest.approx(0.5)
    assert t.loc["tanh", "f(0)"] == pytest.approx(0.0)
    assert t.loc["sigmoid", "max f'"] == pytest.approx(0.25)
    assert t.loc["relu", "min"] == 0 and t.loc["relu", "share f' < 1e-3"] == pytest.approx(0.5, abs=0.01)
    with pytest.raises(ValueError, match="must contain 0"):
        F.activation_properties(["relu"], lo=1, hi=2)


def test_plot_activations_draws_one_panel_each():
    import matplotlib.pyplot as plt

    fig = F.plot_activations(["relu", "tanh"], ncols=2)
    assert len(fig.axes) == 2
    plt.close(fig)
    with pytest.raises(ValueError):
        F.plot_activations([])


# ------------------------------------------------------------------ losses
def test_losses_match_keras_to_1e6():
    import keras

    y = RNG.normal(size=(8, 3))
    yh = RNG.normal(size=(8, 3))
    assert F.mse(y, yh) == pytest.approx(float(keras.losses.MeanSquaredError()(y, yh)), abs=1e-6)
    assert F.mae(y, yh) == pytest.approx(float(keras.losses.MeanAbsoluteError()(y, yh)), abs=1e-6)
    yb = (RNG.random((8, 1)) > 0.5).astype(float)
    pb = RNG.uniform(0.01, 0.99, (8, 1))
    assert F.binary_crossentropy(yb, pb) == pytest.approx(
        float(keras.losses.BinaryCrossentropy()(yb, pb)), abs=1e-6
    )
    yc = np.eye(4)[RNG.integers(0, 4, 8)]
    pc = F.softmax(RNG.normal(size=(8, 4)))
    assert F.categorical_crossentropy(yc, pc) == pytest.approx(
        float(keras.losses.CategoricalCrossentropy()(yc, pc)), abs=1e-6
    )


def test_crossentropy_clips_certain_wrong_predictions():
    assert np.isfinite(F.binary_crossentropy([1.0], [0.0]))
    assert F.binary_crossentropy([1.0], [0.0]) == pytest.approx(-np.log(1e-7), rel=1e-6)


def test_losses_refuse_bad_inputs():
    with pytest.raises(ValueError, match="shape"):
        F.mse([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="probabilities"):
        F.binary_crossentropy([1.0], [1.5])
    with pytest.raises(ValueError, match="one-hot|shape"):
        F.categorical_crossentropy([1, 0], [[0.5, 0.5]])


# ------------------------------------------------------------------ forward and backward
def test_dense_forward_matches_keras_dense():
    import keras

    x, W, b = RNG.normal(size=(5, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=2)
    layer = keras.layers.Dense(2, activation="relu")
    layer.build((None, 3))
    layer.set_weights([W, b])
    np.testing.assert_allclose(
        F.dense_forward(x, W, b, "relu"), layer(x.astype("float32")).numpy(), atol=1e-5
    )
    with pytest.raises(ValueError, match="shapes do not fit"):
        F.dense_forward(x, W.T, b)


def _params(seed=1):
    r = np.random.default_rng(seed)
    return dict(W1=r.normal(size=(3, 4)), b1=r.normal(size=4), W2=r.normal(size=(4, 2)), b2=r.normal(size=2))


def test_backprop_matches_gradient_tape():
    import tensorflow as tf

    x, y, p = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2)), _params()
    loss, grads = F.two_layer_backprop(x, y, **p)
    tv = {k: tf.Variable(v) for k, v in p.items()}
    with tf.GradientTape() as tape:
        out = tf.tanh(x @ tv["W1"] + tv["b1"]) @ tv["W2"] + tv["b2"]
        tl = tf.reduce_mean((out - y) ** 2)
    tg = tape.gradient(tl, tv)
    assert loss == pytest.approx(float(tl), abs=1e-12)
    for k in p:
        np.testing.assert_allclose(grads[k], tg[k].numpy(), atol=1e-10)


def test_gd_step_lowers_the_loss_and_checks_keys():
    x, y, p = RNG.normal(size=(6, 3)), RNG.normal(size=(6, 2)), _params(2)
    loss, grads = F.two_layer_backprop(x, y, **p)
    new = F.gd_step(p, grads, 0.05)
    assert F.two_layer_backprop(x, y, **new)[0] < loss
    np.testing.assert_allclose(new["b2"], p["b2"] - 0.05 * grads["b2"])
    with pytest.raises(KeyError, match="unmatched"):
        F.gd_step(p, {"W1": grads["W1"]}, 0.1)
    with pytest.raises(ValueError, match="shapes do not fit"):
        F.two_layer_backprop(x, y[:, :1], **p)


# ------------------------------------------------------------------ optimizers
SURFACE = F.LinearRegressionSurface.make(n=100, seed=3)


def test_surface_gradient_and_minimum():
    theta = np.array([0.5, 1.5])
    h = 1e-6
    num = [(SURFACE.loss(theta + h * e) - SURFACE.loss(theta - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(SURFACE.grad(theta), num, rtol=1e-5)
    np.testing.assert_allclose(SURFACE.grad(SURFACE.minimum()), 0, atol=1e-8)
    grid = np.zeros((4, 5, 2)) + theta
    np.testing.assert_allclose(SURFACE.loss(grid), SURFACE.loss(theta))


@pytest.mark.parametrize("name", list(L.OPTIMIZERS))
def test_hand_optimizers_follow_keras(name):
    start, lr = (-1.0, 4.0), 0.03125  # a power of two: the same number in float32 and float64
    ours = L.run_optimizer(name, SURFACE.grad, start, lr, 15)
    theirs = F.keras_path(name, SURFACE.grad, start, lr, 15)
    # Keras evaluates part of Adam's bias correction in 32-bit floats: agreement to 1e-5 there
    np.testing.assert_allclose(ours, theirs, atol=1e-5 if name == "adam" else 1e-6)


def test_sgd_uses_minibatches_and_gd_does_not():
    kw = dict(n_samples=100, batch_size=5)
    gd_a = L.run_optimizer("GD", SURFACE.grad, (0, 0), 0.01, 10, seed=1, **kw)
    gd_b = L.run_optimizer("GD", SURFACE.grad, (0, 0), 0.01, 10, seed=2, **kw)
    np.testing.assert_array_equal(gd_a, gd_b)
    sgd_a = L.run_optimizer("SGD", SURFACE.grad, (0, 0), 0.01, 10, seed=1, **kw)
    sgd_b = L.run_optimizer("SGD", SURFACE.grad, (0, 0), 0.01, 10, seed=2, **kw)
    assert not np.allclose(sgd_a, sgd_b)


def test_momentum_beats_gd_on_the_valley_and_divergence_stops_early():
    start = (-2.0, 6.0)
    gd = L.run_optimizer("GD", SURFACE.grad, start, 0.03, 100)
    mom = L.run_optimizer("momentum", SURFACE.grad, start, 0.03, 100)
    assert SURFACE.loss(mom[-1]) < SURFACE.loss(gd[-1])
    wild = L.run_optimizer("GD", SURFACE.grad, start, 5.0, 100)
    assert len(wild) < 101 and L.final_loss(SURFACE, wild, 100) == np.inf


def test_learning_rate_grid_finds_a_finite_best():
    t = L.learning_rate_grid(SURFACE, ["GD", "adam"], (-2.0, 6.0), [0.001, 0.03, 5.0], 50, batch_size=10)
    assert t.shape == (2, 3) and t.loc["GD", 5.0] == np.inf
    assert t.idxmin(axis=1)["GD"] == 0.03
    # only the optimizers named stochastic use mini-batches: the seed changes nothing else
    a = L.learning_rate_grid(SURFACE, ["SGD", "adam"], (-2.0, 6.0), [0.01], 20, batch_size=5, seed=1)
    b = L.learning_rate_grid(SURFACE, ["SGD", "adam"], (-2.0, 6.0), [0.01], 20, batch_size=5, seed=2)
    assert a.loc["adam", 0.01] == b.loc["adam", 0.01] and a.loc["SGD", 0.01] != b.loc["SGD", 0.01]


def test_run_optimizer_refuses_bad_arguments():
    with pytest.raises(KeyError, match="lbfgs"):
        L.run_optimizer("lbfgs", SURFACE.grad, (0, 0), 0.1, 5)
    with pytest.raises(TypeError, match="momentum"):
        L.run_optimizer("adam", SURFACE.grad, (0, 0), 0.1, 5, momentum=0.9)
    with pytest.raises(ValueError, match="both"):
        L.run_optimizer("SGD", SURFACE.grad, (0, 0), 0.1, 5, batch_size=4)
    with pytest.raises(KeyError):
        F.keras_optimizer("lbfgs", 0.1)


def test_plot_optimizer_paths():
    import matplotlib.pyplot as plt

    fig = F.plot_optimizer_paths(
        SURFACE, {"GD": L.run_optimizer("GD", SURFACE.grad, (0, 0), 0.02, 5)}, title="t"
    )
    assert fig.axes[0].get_title() == "t"
    plt.close(fig)
    with pytest.raises(ValueError):
        F.plot_optimizer_paths(SURFACE, {})


# ------------------------------------------------------------------ vanishing gradients
def test_sigmoid_gradients_vanish_and_relu_gradients_do_not():
    x, y = RNG.normal(size=(64, 8)), RNG.normal(size=(64, 1))
    sig = F.layer_gradient_norms("sigmoid", 8, 16, x, y)
    relu = F.layer_gradient_norms("relu", 8, 16, x, y)
    assert sig.shape == relu.shape == (8,)
    assert sig[0] / sig[-1] < 1e-3  # the first layer gets almost nothing
    assert relu[0] / relu[-1] > 1e-1
    with pytest.raises(ValueError, match="depth"):
        F.layer_gradient_norms("relu", 0, 4, x, y)
