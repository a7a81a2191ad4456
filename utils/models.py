"""Model builders shared by notebooks and benchmarks (functional Keras 3, explicit layer names)."""
from __future__ import annotations


def dense_baseline(input_shape=(28, 28, 1), n_classes: int = 10, units: int = 512,
                   dropout: float = 0.2, name: str = "dense_baseline"):
    """Flatten, two ReLU layers of ``units`` with dropout, softmax output."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten(name="flatten")(inputs)
    for i in (1, 2):
        x = layers.Dense(units, activation="relu", name=f"dense_{i}")(x)
        x = layers.Dropout(dropout, name=f"dropout_{i}")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def lenet5(input_shape=(28, 28, 1), n_classes: int = 10, activation: str = "relu",
           pooling: str = "max", dropout: float = 0.0, name: str = "lenet5"):
    """LeNet-5 (LeCun et al. 1998) for 28x28 digits.

    C1: 6 filters 5x5 ('same' padding plays the role of the paper's 32x32 input), S2: 2x2 pooling,
    C3: 16 filters 5x5, S4: 2x2 pooling, C5: 120 filters 5x5 (a 1x1 map: a dense layer of 120),
    F6: dense 84, softmax 10. ``activation="tanh", pooling="avg"`` is closer to the paper;
    ReLU and max pooling train faster and reach higher accuracy.
    """
    import keras
    from keras import layers

    if pooling not in ("max", "avg"):
        raise ValueError(f"pooling must be 'max' or 'avg', got {pooling!r}")
    pool = layers.MaxPooling2D if pooling == "max" else layers.AveragePooling2D
    inputs = keras.Input(shape=input_shape, name="image")
    x = layers.Conv2D(6, 5, padding="same", activation=activation, name="c1_conv")(inputs)
    x = pool(2, name="s2_pool")(x)
    x = layers.Conv2D(16, 5, activation=activation, name="c3_conv")(x)
    x = pool(2, name="s4_pool")(x)
    x = layers.Conv2D(120, 5, activation=activation, name="c5_conv")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(84, activation=activation, name="f6_dense")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def alexnet_cifar(input_shape=(32, 32, 3), n_classes: int = 10, filters=(64, 192, 384, 256, 256),
                  dense_units: int = 1024, dropout: float = 0.5, name: str = "alexnet_cifar"):
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


def small_cnn(input_shape=(32, 32, 3), n_classes: int = 10, filters=(32, 64), dense_units: int = 256,
              conv_dropout: float = 0.25, dense_dropout: float = 0.5, name: str = "small_cnn"):
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
        raise ValueError(f"{len(filters)} pooling blocks need images of at least {2 ** len(filters)} pixels "
                         f"a side, got input_shape={tuple(input_shape)}")
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
