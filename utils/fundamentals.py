"""Neural-network fundamentals written out in NumPy (notebook 00).

Everything here is the textbook formula, small enough to read, and checked in the tests
against what Keras / TensorFlow compute:

- activation functions and their derivatives (:data:`ACTIVATIONS`, :func:`activation`,
  :func:`activation_derivative`, :func:`plot_activations`);
- losses (:func:`mse`, :func:`mae`, :func:`binary_crossentropy`,
  :func:`categorical_crossentropy`), reduced like ``keras.losses`` (mean over the batch);
- a dense layer's forward pass (:func:`dense_forward`) and backpropagation through a
  two-layer network by the chain rule (:func:`two_layer_backprop`, :func:`gd_step`);
- optimizers on a 2-D loss surface: the surface (:class:`LinearRegressionSurface`), the path
  of the real Keras optimizer (:func:`keras_optimizer`, :func:`keras_path`) and a contour plot
  (:func:`plot_optimizer_paths`). The update rules themselves are written in notebook 00
  (``utils.lessons``: ``run_optimizer``, ``learning_rate_grid``), and checked against these paths;
- vanishing gradients: gradient norm per layer of a deep network (:func:`layer_gradient_norms`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------- activations


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def softmax(z, axis: int = -1) -> np.ndarray:
    """exp(z_i) / sum_j exp(z_j) along ``axis`` (the maximum is subtracted first, for stability)."""
    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _softmax_diag(x):
    """Diagonal of the softmax Jacobian, d s_i / d z_i = s_i (1 - s_i), along the last axis."""
    s = softmax(x)
    return s * (1 - s)


#: name -> (function, derivative), both element-wise on NumPy arrays. ``leaky_relu`` takes
#: ``alpha``; softmax is not element-wise: its "derivative" here is the Jacobian's diagonal.
ACTIVATIONS: dict[str, tuple[Callable, Callable]] = {
    "linear": (lambda x: x, lambda x: np.ones_like(x)),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0.0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (
        lambda x, alpha=0.1: np.where(x > 0, x, alpha * x),
        lambda x, alpha=0.1: np.where(x > 0, 1.0, alpha),
    ),
    "softmax": (softmax, _softmax_diag),
}


def _lookup(name: str):
    if name not in ACTIVATIONS:
        raise KeyError(f"unknown activation {name!r}; choose one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def activation(name: str, x, **kwargs) -> np.ndarray:
    """Apply activation ``name`` to ``x`` (``alpha=`` for leaky_relu)."""
    return _lookup(name)[0](np.asarray(x, dtype=float), **kwargs)


def activation_derivative(name: str, x, **kwargs) -> np.ndarray:
    """Derivative of activation ``name`` at ``x`` (softmax: diagonal of its Jacobian)."""
    return _lookup(name)[1](np.asarray(x, dtype=float), **kwargs)


def _curve(name: str, x: np.ndarray, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """f(x) and f'(x) on a grid, for plots and tables. Softmax is not element-wise: its curve
    is the probability of a class with logit x next to two classes with logit 0, and its
    slope is the Jacobian's diagonal s (1 - s)."""
    x = np.asarray(x, dtype=float)
    if name == "softmax":
        logits = np.stack([x, np.zeros_like(x), np.zeros_like(x)], axis=-1)
        s = softmax(logits)[..., 0]
        return s, s * (1 - s)
    kw = {"alpha": alpha} if name == "leaky_relu" else {}
    return activation(name, x, **kw), activation_derivative(name, x, **kw)


def activation_properties(
    names: Sequence[str] = tuple(ACTIVATIONS),
    lo: float = -10.0,
    hi: float = 10.0,
    n: int = 2001,
    alpha: float = 0.1,
):
    """Measured properties of each activation on the grid [lo, hi] (a pandas DataFrame).

    Columns: smallest and largest output, output at 0, largest derivative, share of the
    grid where the derivative is below 1e-3 ("saturated": almost no gradient passes).
    Softmax maps a vector to probabilities; it is shown as the probability of one class
    whose logit is x, next to two classes with logit 0 (see :func:`_curve`).
    """
    import pandas as pd

    if not lo < 0 < hi:
        raise ValueError(f"the grid must contain 0 (lo < 0 < hi), got lo={lo}, hi={hi}")
    x = np.linspace(lo, hi, n)
    rows = {}
    for name in names:
        y, d = _curve(name, x, alpha)
        rows[name] = {
            "min": y.min(),
            "max": y.max(),
            "f(0)": float(_curve(name, np.zeros(1), alpha)[0][0]),
            "max f'": d.max(),
            "share f' < 1e-3": float(np.mean(np.abs(d) < 1e-3)),
        }
    return pd.DataFrame(rows).T


def plot_activations(names: Sequence[str], x=None, alpha: float = 0.1, ncols: int = 3):
    """One panel an activation: the function (solid) and its derivative (dashed)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-5, 5, 401) if x is None else np.asarray(x, dtype=float)
    names = list(names)
    if not names:
        raise ValueError("plot_activations needs at least one activation name")
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 2.8 * nrows), squeeze=False)
    for ax in axes.flat[len(names) :]:
        ax.axis("off")
    for ax, name in zip(axes.flat, names):
        f, d = _curve(name, x, alpha)
        ax.plot(x, f, label="f(x)")
        ax.plot(x, d, "--", label="f'(x)")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name if name != "softmax" else "softmax (logit x next to two logits 0)")
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- losses

EPSILON = 1e-7  # Keras' fuzz factor: probabilities are clipped to [eps, 1 - eps]


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true has shape {y_true.shape} but y_pred {y_pred.shape}; "
            "they must match (one-hot encode labels for categorical cross-entropy)"
        )
    return y_true, y_pred


def mse(y_true, y_pred) -> float:
    """Mean squared error: mean of (y - y_hat)^2."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean((y_true - y_pred) ** 2))


def mae(y_true, y_pred) -> float:
    """Mean absolute error: mean of |y - y_hat|."""
    y_true, y_pred = _pair(y_true, y_pred)
    return float(np.mean(np.abs(y_true - y_pred)))


def binary_crossentropy(y_true, p_pred, eps: float = EPSILON) -> float:
    """-mean[y log p + (1 - y) log(1 - p)], with p clipped to [eps, 1 - eps] as Keras does."""
    y_true, p = _pair(y_true, p_pred)
    if np.any((p < 0) | (p > 1)):
        raise ValueError(
            "binary_crossentropy expects probabilities in [0, 1] (apply a sigmoid to logits first)"
        )
    p = np.clip(p, eps, 1 - eps)
    return float(np.mean(-(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))))


def categorical_crossentropy(y_onehot, p_pred, eps: float = EPSILON) -> float:
    """-mean over samples of sum_k y_k log p_k (rows of p renormalised and clipped as in Keras)."""
    y, p = _pair(y_onehot, p_pred)
    if y.ndim != 2:
        raise ValueError(f"expected (samples, classes) arrays, got shape {y.shape}")
    if np.any(p < 0):
        raise ValueError("categorical_crossentropy expects probabilities (apply a softmax to logits first)")
    p = np.clip(p / p.sum(axis=1, keepdims=True), eps, 1 - eps)
    return float(np.mean(-(y * np.log(p)).sum(axis=1)))


# --------------------------------------------------------------------------- forward / backward


def dense_forward(x, W, b, act: str = "linear", **kwargs) -> np.ndarray:
    """What ``keras.layers.Dense`` computes: act(x @ W + b), W of shape (inputs, units)."""
    x, W, b = (np.asarray(a, dtype=float) for a in (x, W, b))
    if x.shape[-1] != W.shape[0] or b.shape != (W.shape[1],):
        raise ValueError(f"shapes do not fit: x {x.shape}, W {W.shape} (inputs, units), b {b.shape} (units,)")
    z = x @ W + b
    return activation(act, z, **kwargs)


def two_layer_backprop(x, y, W1, b1, W2, b2) -> tuple[float, dict[str, np.ndarray]]:
    """Loss and gradients of a two-layer network by the chain rule.

    Network: ``h = tanh(x W1 + b1)``, ``y_hat = h W2 + b2`` (linear output), loss
    ``L = mean((y_hat - y)^2)`` over all outputs. Returns ``(L, grads)`` with keys
    ``W1, b1, W2, b2`` (each the shape of its parameter).
    """
    x, y, W1, b1, W2, b2 = (np.asarray(a, dtype=float) for a in (x, y, W1, b1, W2, b2))
    if x.shape[1] != W1.shape[0] or W1.shape[1] != W2.shape[0] or y.shape != (x.shape[0], W2.shape[1]):
        raise ValueError(f"shapes do not fit: x {x.shape}, W1 {W1.shape}, W2 {W2.shape}, y {y.shape}")
    # forward pass, keeping what the backward pass needs
    z1 = x @ W1 + b1
    h = np.tanh(z1)
    y_hat = h @ W2 + b2
    loss = float(np.mean((y_hat - y) ** 2))
    # backward pass: dL/d(output) first, then one layer at a time
    d_yhat = 2 * (y_hat - y) / y.size  # dL/dy_hat
    dW2 = h.T @ d_yhat  # y_hat = h W2 + b2
    db2 = d_yhat.sum(axis=0)
    d_h = d_yhat @ W2.T  # back through W2
    d_z1 = d_h * (1 - h**2)  # back through tanh: tanh' = 1 - tanh^2
    dW1 = x.T @ d_z1
    db1 = d_z1.sum(axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def gd_step(
    params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """One gradient-descent step: theta <- theta - learning_rate * dL/dtheta (new dict)."""
    missing = sorted(set(params) ^ set(grads))
    if missing:
        raise KeyError(f"params and grads must have the same keys; unmatched: {missing}")
    return {k: np.asarray(params[k], dtype=float) - learning_rate * np.asarray(grads[k]) for k in params}


# --------------------------------------------------------------------------- optimizers on a surface


@dataclass
class LinearRegressionSurface:
    """Loss surface of a one-feature linear regression, ``L(w, b) = mean((w x + b - y)^2)``.

    Two parameters, so the surface can be drawn. With x far from zero on average, the
    surface is a long narrow valley (badly conditioned), where plain gradient descent
    zig-zags and momentum or adaptive learning rates help.
    """

    x: np.ndarray
    y: np.ndarray

    @classmethod
    def make(
        cls,
        n: int = 200,
        w: float = 2.0,
        b: float = -1.0,
        x_mean: float = 3.0,
        noise: float = 0.5,
        seed: int = 0,
    ) -> LinearRegressionSurface:
        rng = np.random.default_rng(seed)
        x = rng.normal(x_mean, 1.0, n)
        return cls(x=x, y=w * x + b + rng.normal(0, noise, n))

    def loss(self, theta, idx=None) -> float | np.ndarray:
        """L at ``theta = (w, b)``; ``theta`` may also be an array ``(..., 2)`` of points."""
        theta = np.asarray(theta, dtype=float)
        x, y = (self.x, self.y) if idx is None else (self.x[idx], self.y[idx])
        with np.errstate(over="ignore", invalid="ignore"):
            resid = theta[..., :1] * x + theta[..., 1:2] - y
            return np.mean(resid**2, axis=-1)

    def grad(self, theta, idx=None) -> np.ndarray:
        """dL/d(w, b) on all points, or on the mini-batch ``idx``."""
        w, b = np.asarray(theta, dtype=float)
        x, y = (self.x, self.y) if idx is None else (self.x[idx], self.y[idx])
        r = w * x + b - y
        return np.array([2 * np.mean(r * x), 2 * np.mean(r)])

    def minimum(self) -> np.ndarray:
        """The exact least-squares solution (w*, b*)."""
        A = np.column_stack([self.x, np.ones_like(self.x)])
        return np.linalg.lstsq(A, self.y, rcond=None)[0]


def keras_optimizer(name: str, learning_rate: float):
    """The ``keras.optimizers`` object that notebook 00's ``run_optimizer`` follows (GD, SGD: plain SGD)."""
    import keras

    makers = {
        "GD": lambda: keras.optimizers.SGD(learning_rate),
        "SGD": lambda: keras.optimizers.SGD(learning_rate),
        "momentum": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9),
        "nesterov": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True),
        "adagrad": lambda: keras.optimizers.Adagrad(learning_rate),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
        "adam": lambda: keras.optimizers.Adam(learning_rate),
    }
    if name not in makers:
        raise KeyError(f"unknown optimizer {name!r}; choose one of {list(makers)}")
    return makers[name]()


def keras_path(name: str, grad_fn: Callable, start, learning_rate: float, steps: int) -> np.ndarray:
    """The path of the real Keras optimizer, fed the same full-batch gradients (float64)."""
    import keras

    opt = keras_optimizer(name, learning_rate)
    var = keras.Variable(np.array(start, dtype="float64"), dtype="float64")
    path = [np.array(start, dtype=float)]
    for _ in range(steps):
        g = np.asarray(grad_fn(np.asarray(var.numpy()), None), dtype="float64")
        opt.apply_gradients([(keras.ops.convert_to_tensor(g, dtype="float64"), var)])
        path.append(np.asarray(var.numpy(), dtype=float))
    return np.array(path)


def plot_optimizer_paths(
    surface: LinearRegressionSurface,
    paths: Mapping[str, np.ndarray],
    xlim=None,
    ylim=None,
    ax=None,
    title: str | None = None,
):
    """Contour plot of ``surface`` (log-spaced levels) with one path a optimizer; returns the figure."""
    import matplotlib.pyplot as plt

    if not paths:
        raise ValueError("plot_optimizer_paths needs at least one path")
    opt = surface.minimum()
    pts = np.concatenate([np.asarray(p) for p in paths.values()])
    xlim = xlim or (min(pts[:, 0].min(), opt[0]) - 0.5, max(pts[:, 0].max(), opt[0]) + 0.5)
    ylim = ylim or (min(pts[:, 1].min(), opt[1]) - 1.0, max(pts[:, 1].max(), opt[1]) + 1.0)
    W, B = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    Z = surface.loss(np.stack([W, B], axis=-1))
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 5))
    else:
        fig = ax.figure
    levels = np.geomspace(max(Z.min(), 1e-3), Z.max(), 25)
    ax.contour(W, B, Z, levels=levels, colors="0.6", linewidths=0.6)
    ax.grid(False)
    for label, p in paths.items():
        p = np.asarray(p)
        ax.plot(p[:, 0], p[:, 1], ".-", ms=2.5, lw=1.2, label=label)
    ax.plot(*opt, "k*", ms=12, label="minimum")
    ax.plot(*np.asarray(next(iter(paths.values())))[0], "ko", ms=6, mfc="none", label="start")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("w (slope)")
    ax.set_ylabel("b (intercept)")
    ax.legend(fontsize=8, loc="best")
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------- vanishing gradients


def layer_gradient_norms(act: str, depth: int, width: int, x, y, seed: int = 0) -> np.ndarray:
    """Norm of dL/dW for each hidden layer's kernel of a fresh deep network (first layer first).

    The network: ``depth`` Dense layers of ``width`` units with activation ``act`` (Keras'
    default Glorot-uniform initialisation), then a linear output unit; loss MSE on ``(x, y)``.
    Nothing is trained: this is the gradient the first update would use.
    """
    import keras
    import tensorflow as tf

    if depth < 1 or width < 1:
        raise ValueError(f"depth and width must be >= 1, got depth={depth}, width={width}")
    keras.utils.set_random_seed(seed)
    x = tf.convert_to_tensor(np.asarray(x, dtype="float32"))
    y = tf.convert_to_tensor(np.asarray(y, dtype="float32").reshape(len(x), -1))
    layers = [keras.Input(shape=(x.shape[1],))]
    layers += [keras.layers.Dense(width, activation=act, name=f"hidden_{i + 1}") for i in range(depth)]
    layers += [keras.layers.Dense(y.shape[1], name="output")]
    model = keras.Sequential(layers)
    kernels = [model.get_layer(f"hidden_{i + 1}").kernel for i in range(depth)]
    with tf.GradientTape() as tape:
        loss = keras.losses.MeanSquaredError()(y, model(x))
    grads = tape.gradient(loss, kernels)
    return np.array([float(tf.norm(g)) for g in grads])
