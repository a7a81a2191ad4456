"""Milestones of CNN architectures, built by hand (notebook 04's tour), and their arithmetic.

Two kinds of helpers:

- **Arithmetic** (plain Python, no TensorFlow): parameters and multiply-adds of a
  convolution, the receptive field of a stack of convolutions (output sizes:
  :func:`utils.conv.conv_output_size`), the saving of stacked 3x3
  convolutions (VGG), of 1x1 bottlenecks (Inception) and of depthwise separable
  convolutions (MobileNet). The notebook checks each against Keras' own count.
- **Keras blocks** (functional API, every layer named ``<name>_...``): ``vgg_block``,
  ``inception_module``, ``basic_block`` (plain or residual), ``dense_block``,
  ``depthwise_separable_block``; ``block_model`` wraps one into a model for inspection,
  ``cifar_net`` builds the plain and residual networks of He et al. (2015) for CIFAR-10,
  and ``applications_table`` builds the ``keras.applications`` models one at a time
  (``weights=None``, so no download) and counts their depth and parameters.

Keras is imported inside the functions: importing this module stays cheap.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

# ImageNet top-1 accuracy (single centre crop, ImageNet validation set) as published in the
# table "Available models" of the Keras Applications documentation.
KERAS_APPLICATIONS_DOCS = "https://keras.io/api/applications/"
PUBLISHED_TOP1 = {"VGG16": 0.713, "ResNet50": 0.749, "InceptionV3": 0.779,
                  "DenseNet201": 0.773, "MobileNetV2": 0.713}
DEFAULT_INPUT = {"InceptionV3": (299, 299, 3)}   # all others: 224x224x3
# layers that hold the learned filters / weight matrices ("weight layers")
WEIGHT_LAYERS = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv2D", "SeparableConv2D", "Dense")


def _positive_int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


# --------------------------------------------------------------------------- arithmetic
def conv_params(kernel: int, c_in: int, c_out: int, bias: bool = True) -> int:
    """Parameters of a ``kernel x kernel`` convolution from ``c_in`` to ``c_out`` channels:
    ``kernel**2 * c_in * c_out`` weights plus ``c_out`` biases."""
    for v, w in ((kernel, "kernel"), (c_in, "c_in"), (c_out, "c_out")):
        _positive_int(v, w)
    return kernel * kernel * c_in * c_out + (c_out if bias else 0)


def conv_macs(kernel: int, c_in: int, c_out: int, h_out: int, w_out: int) -> int:
    """Multiply-adds of one convolution: every output value (``h_out * w_out * c_out``) costs
    ``kernel**2 * c_in`` of them (biases not counted)."""
    for v, w in ((h_out, "h_out"), (w_out, "w_out")):
        _positive_int(v, w)
    return conv_params(kernel, c_in, c_out, bias=False) * h_out * w_out


def receptive_field(kernels: Sequence[int], strides: Sequence[int] | None = None) -> int:
    """Receptive field (in input pixels) of one output value of a stack of convolutions.

    ``r = 1 + sum((k_i - 1) * prod(strides before layer i))``. Two stacked 3x3 (stride 1)
    see 5x5, three see 7x7.
    """
    kernels = list(kernels)
    if not kernels:
        raise ValueError("give at least one kernel size, e.g. receptive_field([3, 3])")
    strides = [1] * len(kernels) if strides is None else list(strides)
    if len(strides) != len(kernels):
        raise ValueError(f"{len(kernels)} kernels but {len(strides)} strides: give one stride per layer")
    r, jump = 1, 1
    for k, s in zip(kernels, strides):
        _positive_int(k, "kernel size")
        _positive_int(s, "stride")
        r += (k - 1) * jump
        jump *= s
    return r


def stacked_vs_single(n_stacked: int, channels: int, small: int = 3) -> dict:
    """VGG's argument: ``n_stacked`` ``small x small`` convolutions against one convolution
    with the same receptive field, all ``channels -> channels`` without biases.

    Returns the receptive field, the single kernel size, the weights of each option, their
    ratio and the number of non-linearities (one a layer).
    """
    _positive_int(n_stacked, "n_stacked")
    _positive_int(small, "small")
    rf = receptive_field([small] * n_stacked)
    stacked = n_stacked * conv_params(small, channels, channels, bias=False)
    single = conv_params(rf, channels, channels, bias=False)
    return {"receptive_field": rf, "single_kernel": rf, "stacked_weights": stacked,
            "single_weights": single, "ratio": stacked / single,
            "nonlinearities": (n_stacked, 1)}


def inception_params(c_in: int, f1: int, f3_reduce: int, f3: int, f5_reduce: int, f5: int,
                     pool_proj: int, bias: bool = True) -> dict:
    """Parameters of each branch of an Inception module (Szegedy et al. 2014, table 1 names),
    and what the 3x3 and 5x5 branches would cost without their 1x1 bottlenecks."""
    b1 = conv_params(1, c_in, f1, bias)
    b3 = conv_params(1, c_in, f3_reduce, bias) + conv_params(3, f3_reduce, f3, bias)
    b5 = conv_params(1, c_in, f5_reduce, bias) + conv_params(5, f5_reduce, f5, bias)
    bp = conv_params(1, c_in, pool_proj, bias)
    naive = b1 + conv_params(3, c_in, f3, bias) + conv_params(5, c_in, f5, bias) + bp
    return {"1x1": b1, "3x3": b3, "5x5": b5, "pool": bp, "total": b1 + b3 + b5 + bp,
            "without_bottlenecks": naive, "out_channels": f1 + f3 + f5 + pool_proj}


def basic_block_params(c_in: int, filters: int, stride: int = 1, residual: bool = True) -> int:
    """Parameters of :func:`basic_block`: two 3x3 convolutions without bias, each followed by
    batch normalization (4 numbers a channel, 2 of them trained), plus a 1x1 projection with
    its batch normalization when a residual block changes shape. The identity skip costs nothing."""
    p = conv_params(3, c_in, filters, bias=False) + conv_params(3, filters, filters, bias=False)
    p += 2 * batchnorm_params(filters)
    if residual and (stride != 1 or c_in != filters):
        p += conv_params(1, c_in, filters, bias=False) + batchnorm_params(filters)
    return p


def batchnorm_params(channels: int) -> int:
    """Batch normalization keeps 4 numbers a channel: gamma and beta (trained), the moving
    mean and variance (not trained)."""
    return 4 * _positive_int(channels, "channels")


def dense_block_params(c_in: int, n_layers: int, growth_rate: int, bottleneck: int = 4) -> dict:
    """Parameters and output channels of :func:`dense_block` (DenseNet-BC layers:
    BN-ReLU-Conv1x1(``bottleneck * growth_rate``)-BN-ReLU-Conv3x3(``growth_rate``), no biases)."""
    _positive_int(n_layers, "n_layers")
    _positive_int(growth_rate, "growth_rate")
    total, c = 0, c_in
    for _ in range(n_layers):
        inner = bottleneck * growth_rate
        total += batchnorm_params(c) + conv_params(1, c, inner, bias=False)
        total += batchnorm_params(inner) + conv_params(3, inner, growth_rate, bias=False)
        c += growth_rate
    return {"params": total, "out_channels": c}


def separable_cost(kernel: int, c_in: int, c_out: int, h_out: int, w_out: int) -> dict:
    """MobileNet's saving: a standard ``kernel x kernel`` convolution against a depthwise
    ``kernel x kernel`` convolution (one filter per input channel) followed by a pointwise
    1x1 convolution. Weights and multiply-adds without biases; the ratio of the separable to
    the standard cost is ``1 / c_out + 1 / kernel**2`` for both."""
    std_w = conv_params(kernel, c_in, c_out, bias=False)
    dw_w = kernel * kernel * c_in
    pw_w = conv_params(1, c_in, c_out, bias=False)
    std_m = conv_macs(kernel, c_in, c_out, h_out, w_out)
    sep_m = (dw_w + pw_w) * h_out * w_out
    return {"standard_weights": std_w, "separable_weights": dw_w + pw_w,
            "standard_macs": std_m, "separable_macs": sep_m,
            "ratio": sep_m / std_m, "formula": 1 / c_out + 1 / kernel ** 2}


# --------------------------------------------------------------------------- Keras blocks
def vgg_block(x, filters: int, n_convs: int = 2, name: str = "vgg"):
    """VGG: ``n_convs`` 3x3 convolutions ('same', ReLU) then 2x2 max pooling."""
    from keras import layers

    _positive_int(n_convs, "n_convs")
    for i in range(1, n_convs + 1):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"{name}_conv{i}")(x)
    return layers.MaxPooling2D(2, name=f"{name}_pool")(x)


def inception_module(x, f1: int, f3_reduce: int, f3: int, f5_reduce: int, f5: int, pool_proj: int,
                     name: str = "inception"):
    """GoogLeNet's Inception module: four parallel branches concatenated along the channels:
    1x1; 1x1 bottleneck then 3x3; 1x1 bottleneck then 5x5; 3x3 max pooling then 1x1."""
    from keras import layers

    def conv(t, n, k, suffix):
        return layers.Conv2D(n, k, padding="same", activation="relu", name=f"{name}_{suffix}")(t)

    b1 = conv(x, f1, 1, "1x1")
    b3 = conv(conv(x, f3_reduce, 1, "3x3_reduce"), f3, 3, "3x3")
    b5 = conv(conv(x, f5_reduce, 1, "5x5_reduce"), f5, 5, "5x5")
    bp = layers.MaxPooling2D(3, strides=1, padding="same", name=f"{name}_pool")(x)
    bp = conv(bp, pool_proj, 1, "pool_proj")
    return layers.Concatenate(name=f"{name}_concat")([b1, b3, b5, bp])


def basic_block(x, filters: int, stride: int = 1, residual: bool = True, name: str = "block"):
    """The basic block of ResNet (He et al. 2015): conv3x3-BN-ReLU-conv3x3-BN, then the
    shortcut is added (``residual=True``) before the last ReLU. When the block changes the
    shape (``stride > 1`` or a new width) the shortcut is a 1x1 convolution with batch norm
    (a projection). ``residual=False`` gives the same layers without the shortcut: the
    "plain" network of the paper."""
    from keras import layers

    _positive_int(stride, "stride")
    shortcut = x
    y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
    y = layers.BatchNormalization(name=f"{name}_bn1")(y)
    y = layers.Activation("relu", name=f"{name}_relu1")(y)
    y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = layers.BatchNormalization(name=f"{name}_bn2")(y)
    if residual:
        if stride != 1 or x.shape[-1] != filters:
            shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(x)
            shortcut = layers.BatchNormalization(name=f"{name}_proj_bn")(shortcut)
        y = layers.Add(name=f"{name}_add")([y, shortcut])
    return layers.Activation("relu", name=f"{name}_relu2")(y)


def residual_block(x, filters: int, stride: int = 1, name: str = "res"):
    """:func:`basic_block` with its skip connection."""
    return basic_block(x, filters, stride, residual=True, name=name)


def dense_block(x, n_layers: int, growth_rate: int = 32, bottleneck: int = 4, name: str = "dense"):
    """DenseNet (Huang et al. 2017): each layer (BN-ReLU-1x1 conv to ``bottleneck *
    growth_rate`` channels, BN-ReLU-3x3 conv to ``growth_rate``) sees the concatenation of
    the block input and every earlier layer's output; the block adds ``n_layers *
    growth_rate`` channels."""
    from keras import layers

    _positive_int(n_layers, "n_layers")
    for i in range(1, n_layers + 1):
        y = layers.BatchNormalization(name=f"{name}_l{i}_bn1")(x)
        y = layers.Activation("relu", name=f"{name}_l{i}_relu1")(y)
        y = layers.Conv2D(bottleneck * growth_rate, 1, use_bias=False, name=f"{name}_l{i}_conv1")(y)
        y = layers.BatchNormalization(name=f"{name}_l{i}_bn2")(y)
        y = layers.Activation("relu", name=f"{name}_l{i}_relu2")(y)
        y = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_l{i}_conv2")(y)
        x = layers.Concatenate(name=f"{name}_l{i}_concat")([x, y])
    return x


def depthwise_separable_block(x, filters: int, stride: int = 1, name: str = "sep"):
    """MobileNet (Howard et al. 2017): 3x3 depthwise convolution (one filter per channel),
    BN, ReLU, then a 1x1 pointwise convolution mixing the channels, BN, ReLU. No biases."""
    from keras import layers

    _positive_int(stride, "stride")
    x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw")(x)
    x = layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = layers.Activation("relu", name=f"{name}_dw_relu")(x)
    x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
    x = layers.BatchNormalization(name=f"{name}_pw_bn")(x)
    return layers.Activation("relu", name=f"{name}_pw_relu")(x)


def block_model(block: Callable, input_shape: Sequence[int], name: str = "block", **kwargs):
    """Wrap one block into a ``keras.Model`` (input named ``<name>_input``) to inspect its
    output shape and parameters: ``block_model(vgg_block, (56, 56, 64), filters=128)``."""
    import keras

    if len(tuple(input_shape)) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {tuple(input_shape)!r}")
    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    return keras.Model(inputs, block(inputs, name=name, **kwargs), name=name)


def conv_layer_model(input_shape: Sequence[int], filters: int, kernel: int, stride: int,
                     padding: str = "valid", name: str = "conv"):
    """One convolution (ReLU) as a model: the first layers of AlexNet and ZFNet."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=tuple(input_shape), name=f"{name}_input")
    out = layers.Conv2D(filters, kernel, strides=stride, padding=padding, activation="relu", name=name)(inputs)
    return keras.Model(inputs, out, name=name)


def cifar_net(depth: int, width: int = 16, residual: bool = True, input_shape=(32, 32, 3),
              n_classes: int = 10, name: str | None = None):
    """The CIFAR-10 networks of He et al. (2015), section 4.2: a 3x3 convolution, three stages
    of ``n`` basic blocks (widths ``width``, ``2*width``, ``4*width``; the first block of
    stages 2 and 3 halves the map), global average pooling and a softmax layer:
    ``depth = 6n + 2`` weight layers. ``residual=False`` drops the skip connections (and the
    two projection shortcuts) and leaves everything else as it is."""
    import keras
    from keras import layers

    _positive_int(depth, "depth")
    _positive_int(width, "width")
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n + 2 with n >= 1 (8, 14, 20, 32, 44, 56, ...), got {depth}")
    n = (depth - 2) // 6
    name = name or f"{'resnet' if residual else 'plain'}{depth}"
    inputs = keras.Input(shape=tuple(input_shape), name="image")
    x = layers.Rescaling(1 / 255, name="rescale")(inputs)
    x = layers.Conv2D(width, 3, padding="same", use_bias=False, name="stem_conv")(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("relu", name="stem_relu")(x)
    for stage in range(3):
        for b in range(n):
            stride = 2 if stage > 0 and b == 0 else 1
            x = basic_block(x, width * 2 ** stage, stride, residual, name=f"s{stage + 1}b{b + 1}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


# --------------------------------------------------------------------------- inspection
def _all_layers(model):
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.layers:
            yield from _all_layers(layer)
        else:
            yield layer


def count_weight_layers(model) -> int:
    """Depth as the number of weight layers (convolutions, depthwise / separable convolutions
    and dense layers; nested models included). Batch normalization, activations, pooling,
    concatenations and additions are not counted, nor are layers without a kernel."""
    return sum(type(layer).__name__ in WEIGHT_LAYERS for layer in _all_layers(model))


def layer_table(model, only_params: bool = False) -> str:
    """A compact table of a model: layer name, output shape, parameters; a total line.
    ``only_params=True`` leaves out layers without parameters."""
    rows = []
    for layer in model.layers:
        if only_params and not layer.count_params():
            continue
        shape = tuple(layer.output.shape)[1:]
        rows.append(f"{layer.name:24s} {str(shape):18s} {layer.count_params():>10,}")
    rows.append(f"{'total':24s} {'':18s} {model.count_params():>10,}")
    return "\n".join(rows)


def applications_table(names: Sequence[str] = ("VGG16", "ResNet50", "InceptionV3", "DenseNet201", "MobileNetV2"),
                       builder: Callable | None = None) -> list[dict]:
    """Build each ``keras.applications`` model with ``weights=None`` (no download), with its
    top, at its default input size, one at a time (the session is cleared in between), and
    return rows: name, year of the paper, input size, depth (:func:`count_weight_layers`),
    parameters, published ImageNet top-1 (``PUBLISHED_TOP1``, from the Keras docs).

    ``builder(name, input_shape)`` replaces the real constructor (tests use a tiny one).
    """
    import keras

    unknown = [n for n in names if n not in PUBLISHED_TOP1]
    if unknown:
        raise KeyError(f"no published top-1 for {unknown}; known: {sorted(PUBLISHED_TOP1)}")
    years = {"VGG16": 2014, "ResNet50": 2015, "InceptionV3": 2015, "DenseNet201": 2017, "MobileNetV2": 2018}

    def real(name, input_shape):
        return getattr(keras.applications, name)(weights=None, include_top=True, input_shape=input_shape)

    build = builder or real
    rows = []
    for name in names:
        keras.backend.clear_session()
        shape = DEFAULT_INPUT.get(name, (224, 224, 3))
        model = build(name, shape)
        rows.append({"model": name, "year": years[name], "input": f"{shape[0]}x{shape[1]}",
                     "depth": count_weight_layers(model), "params": model.count_params(),
                     "top1": PUBLISHED_TOP1[name]})
        del model
        keras.backend.clear_session()
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """Rows of :func:`applications_table` as fixed-width text."""
    if not rows:
        raise ValueError("no rows to format: call applications_table() first")
    lines = [f"{'model':12s} {'year':>4s} {'input':>7s} {'depth':>5s} {'parameters':>12s} {'top-1 (published)':>18s}"]
    for r in rows:
        lines.append(f"{r['model']:12s} {r['year']:>4d} {r['input']:>7s} {r['depth']:>5d} "
                     f"{r['params']:>12,} {r['top1']:>18.1%}")
    return "\n".join(lines)
