"""Model builders used by notebooks (Keras 3, explicit layer names: stable summaries).

- :func:`build_mlp`: a multi-layer perceptron with named layers (notebook 00).

The course's CNNs are written in their lessons and reused from ``utils.lessons``: LeNet-5
and the dense baseline (notebook 02), the small CNN and the AlexNet-style network (03).
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
