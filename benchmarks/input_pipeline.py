"""Is the tf.data input pipeline as fast as feeding tensors from memory?

    python benchmarks/input_pipeline.py [--images 10000] [--epochs 2] [--batch-size 128]

Measures training throughput (images per second) of LeNet-5 on MNIST and the
AlexNet-style network on CIFAR-10, fed through ``utils.pipeline.make_dataset`` and from
float32 tensors already in memory, twice each in ABBA order in the same run, and prints
the means and their ratio.
The course's target: the pipeline reaches at least 0.9 of the in-memory figure.
"""

from __future__ import annotations

import argparse

from utils import setup_devices
from utils.benchmark import training_throughput
from utils.data import load_cifar10, load_mnist
from utils.lessons import alexnet_cifar, lenet5


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--images", type=int, default=10_000, help="training images per epoch")
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs (after one warm-up epoch)")
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()
    setup_devices()
    (x_mnist, y_mnist), _ = load_mnist()
    (x_cifar, y_cifar), _ = load_cifar10()
    cases = [
        ("LeNet-5 / MNIST", lambda: lenet5((28, 28, 1)), x_mnist, y_mnist),
        ("AlexNet-style / CIFAR-10", alexnet_cifar, x_cifar, y_cifar),
    ]
    print(f"{args.images:,} images per epoch, {args.epochs} timed epochs, batch size {args.batch_size}")
    print(f"{'model':26s} {'pipeline img/s':>15s} {'in-memory img/s':>16s} {'ratio':>6s}")
    for name, build, x, y in cases:
        x, y = x[: args.images], y[: args.images]
        # ABBA order (pipeline, memory, memory, pipeline): the first fits of a process run
        # slower, and alternating cancels such drift; each figure is the mean of two runs
        runs = {"pipeline": [], "memory": []}
        for source in ("pipeline", "memory", "memory", "pipeline"):
            runs[source].append(training_throughput(build, x, y, args.batch_size, args.epochs, source=source))
        piped, memory = (sum(runs[k]) / 2 for k in ("pipeline", "memory"))
        print(
            f"{name:26s} {piped:15,.0f} {memory:16,.0f} {piped / memory:6.2f}   "
            f"(runs: pipeline {runs['pipeline'][0]:,.0f}, {runs['pipeline'][1]:,.0f}; "
            f"memory {runs['memory'][0]:,.0f}, {runs['memory'][1]:,.0f})"
        )


if __name__ == "__main__":
    main()
