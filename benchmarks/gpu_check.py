"""Measure the course's networks on whatever devices this machine has, in one command.

    python benchmarks/gpu_check.py                 # LeNet-5 (MNIST), small CNN and AlexNet-style (CIFAR-10)
    python benchmarks/gpu_check.py --epochs 1 --images 5000    # a quick look

Trains each network for ``--epochs`` epochs under ``utils.distribution_strategy()`` (all
local GPUs through MirroredStrategy when there are several; one device otherwise), with
the precision policy ``utils.fast_precision()`` picks (``mixed_float16`` on a GPU with
tensor cores, ``mixed_bfloat16`` on a CPU with bfloat16 hardware, float32 otherwise), the
global batch scaled by the number of replicas, and
prints one line per network: images per second of the timed epochs (after a warm-up epoch),
the precision policy, the number of replicas, and the test accuracy at the end. Run it by
hand; it is never a timed test. On a CPU-only machine it measures the CPU.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after one warm-up epoch)")
    parser.add_argument(
        "--images", type=int, default=None, help="training images per data set (default: all)"
    )
    parser.add_argument("--batch-size", type=int, default=128, help="batch size per replica")
    args = parser.parse_args()
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")

    import keras

    from utils import distribution_strategy, fast_precision, set_seeds, setup_devices
    from utils.data import load_cifar10, load_mnist
    from utils.lessons import alexnet_cifar, lenet5, patch_whitening, small_cnn
    from utils.pipeline import make_dataset

    info = setup_devices()
    keras.mixed_precision.set_global_policy(fast_precision(info))
    strategy = distribution_strategy()
    batch = args.batch_size * strategy.num_replicas_in_sync
    policy = keras.mixed_precision.global_policy().name
    print(f"precision policy for these runs: {policy} (utils.fast_precision)")
    mnist, cifar = load_mnist(), load_cifar10()
    whitening = patch_whitening(cifar[0][0][:5_000] / 255)  # from training images, as in 03
    runs = [
        ("LeNet-5 / MNIST", lambda: lenet5(input_shape=(28, 28, 1)), mnist),
        ("small CNN / CIFAR-10", lambda: small_cnn(whitening), cifar),
        ("AlexNet-style / CIFAR-10", lambda: alexnet_cifar(whitening), cifar),
    ]
    print(f"{'network':26s} {'img/s':>8s} {'policy':>14s} {'replicas':>8s} {'test acc':>9s}")
    for name, build, ((x_train, y_train), (x_test, y_test)) in runs:
        if args.images:
            x_train, y_train = x_train[: args.images], y_train[: args.images]
        train_ds = make_dataset(x_train, y_train, batch, shuffle=True)
        test_ds = make_dataset(x_test, y_test, 512)
        set_seeds(42)
        with strategy.scope():
            model = build()
            model.compile(
                keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy", metrics=["accuracy"]
            )
        model.fit(train_ds, epochs=1, verbose=0)  # warm-up: graph building, caches
        start = time.perf_counter()
        model.fit(train_ds, epochs=args.epochs, verbose=0)
        seconds = time.perf_counter() - start
        accuracy = model.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"]
        ips = len(x_train) * args.epochs / seconds
        print(
            f"{name:26s} {ips:8.0f} {policy:>14s} {strategy.num_replicas_in_sync:8d} {float(accuracy):9.2%}"
        )


if __name__ == "__main__":
    main()
