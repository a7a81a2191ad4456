"""Model builders used by notebooks (Keras 3, explicit layer names: stable summaries).

- :func:`build_mlp`: a multi-layer perceptron with named layers (notebook 00);
- :func:`alexnet_cifar` and :func:`small_cnn`: the CNNs of notebook 03.

LeNet-5 and the dense baseline are written in notebook 02 (``from utils.lessons import lenet5``).
"""

from __future__ import annotations

from collections.abc import Sequence


def build_mlp(
    n_inputs: int,
    hidden: Sequence[int],
    n_outputs: int = 1,
    activation: str = "relu",
    output_activation: str | None = None,
    dropout: float = 0.0,
    name: str = "mlp",
):
    """A multi-layer perceptron: ``Input -> [Dense(units, activation) -> Dropout]* -> Dense(n_outputs)``.

    Layers are named ``hidden_1, dropout_1, ..., output`` so that ``model.summary()`` reads
    the same in every run. ``dropout`` > 0 adds a Dropout layer after each hidden layer.
    """
    import keras

    if n_inputs < 1 or n_outputs < 1 or any(u < 1 for u in hidden):
        raise ValueError(
            f"layer sizes must be >= 1, got n_inputs={n_inputs}, hidden={list(hidden)}, n_outputs={n_outputs}"
        )
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout is the share of units dropped, in [0, 1); got {dropout}")
    layers = [keras.Input(shape=(n_inputs,), name="inputs")]
    for i, units in enumerate(hidden, start=1):
        layers.append(keras.layers.Dense(units, activation=activation, name=f"hidden_{i}"))
        if dropout:
            layers.append(keras.layers.Dropout(dropout, name=f"dropout_{i}"))
    layers.append(keras.layers.Dense(n_outputs, activation=output_activation, name="output"))
    return keras.Sequential(layers, name=name)


def alexnet_cifar(
    input_shape=(32, 32, 3),
    n_classes: int = 10,
    filters=(64, 192, 384, 256, 256),
    dense_units: int = 1024,
    dropout: float = 0.5,
    name: str = "alexnet_cifar",
):
    """An AlexNet-style network (Krizhevsky et al. 2012) adapted to 32x32 images.

    Five 3x3 convolutions (AlexNet's 11x11 / 5x5 filters and stride 4 would erase a 32x32
    image), each followed by batch normalization and ReLU, max pooling after the 1st, 2nd
    and 5th, then two large dense layers with dropout and a softmax. ``filters`` sets the
    width of the five convolutions (AlexNet's are 96, 256, 384, 384, 256; these defaults are
    the slimmer widths of torchvision's AlexNet).
    """
    import keras
    from keras import layers

    if len(filters) != 5:
        raise ValueError(f"filters must give the width of 5 convolutions, got {filters!r}")
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        if i in (1, 2, 5):
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = layers.Dense(dense_units, activation="relu", name=f"fc{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout{i}")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def small_cnn(
    input_shape=(32, 32, 3),
    n_classes: int = 10,
    filters=(32, 64),
    dense_units: int = 256,
    conv_dropout: float = 0.25,
    dense_dropout: float = 0.5,
    name: str = "small_cnn",
):
    """A small VGG-style CNN: per entry of ``filters`` a block of two 3x3 convolutions (batch
    normalization, ReLU), 2x2 max pooling and dropout; then a dense layer and a softmax.

    With the defaults on 32x32x3 images: two blocks (32 and 64 filters), 8x8x64 features
    into a dense layer of 256, 1,117,546 parameters.
    """
    import keras
    from keras import layers

    if not filters:
        raise ValueError("filters must give the width of at least one block, e.g. (32, 64)")
    side = min(input_shape[:2])
    if side < 2 ** len(filters):
        raise ValueError(
            f"{len(filters)} pooling blocks need images of at least {2 ** len(filters)} pixels "
            f"a side, got input_shape={tuple(input_shape)}"
        )
    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for b, n in enumerate(filters, start=1):
        for j in (1, 2):
            x = layers.Conv2D(n, 3, padding="same", use_bias=False, name=f"block{b}_conv{j}")(x)
            x = layers.BatchNormalization(name=f"block{b}_bn{j}")(x)
            x = layers.Activation("relu", name=f"block{b}_relu{j}")(x)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
        x = layers.Dropout(conv_dropout, name=f"block{b}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="fc")(x)
    x = layers.Dropout(dense_dropout, name="fc_dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)
