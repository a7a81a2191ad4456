"""How long does each CIFAR-10 network take to reach 70 %, 75 %, 80 % and 85 % test accuracy?

    python benchmarks/time_to_accuracy.py --rounds 1            # the default models, one run each
    python benchmarks/time_to_accuracy.py --models reference small_cnn alexnet --rounds 1
    python benchmarks/time_to_accuracy.py --max-minutes 5       # a quick look

Trains each network on the 50,000 CIFAR-10 training images (the JPEG copy offline) and
evaluates it on the 10,000 test images at the end of every epoch (evaluation time is not
counted as training time). Every run is its own process, so peak memory is per model and
one run cannot warm up the next; models run in alternating order (A B C, then C B A, ...)
so that drift of the machine's speed falls on all of them alike.

The reference is the CIFAR-10 CNN of "Machine Learning for Algorithmic Trading" (2nd ed.,
ch. 18, notebook 03), ported to Keras 3 as written there: three 2x2 convolutions with 16,
32 and 64 filters, each followed by 2x2 max pooling, dropout 0.3, Dense 500, dropout 0.4,
softmax (528,054 parameters), Adam at its default rate, batch size 32, no schedule.
The course's networks are notebook 03's (``utils.lessons.small_cnn`` and ``alexnet_cifar``)
with its CNN recipe (``utils.lessons.train_classifier(optimizer="sgd")``): SGD with Nesterov
momentum 0.85 and weight decay 0.009, batch 512, peak learning rate 1.5 reached after 20 % of
the steps, then a half cosine to 0 at the planned last epoch (``warmup_cosine``), label
smoothing 0.2 (``smoothed_crossentropy``), and the precision policy of
``utils.devices.fast_precision`` (``mixed_bfloat16`` on a CPU with bfloat16 hardware).
``small_cnn`` gets its whitening layer from the first 5,000 training images
(``patch_whitening``), as in 03; ``small_cnn_learned`` is the same network with a trained first
layer instead (what whitening buys). Both train without augmentation, like the reference, for
6 epochs (03: 6); ``small_cnn_2ep`` and ``small_cnn_3ep`` are the same recipe planned for 2 and 3
epochs (the schedule ends at the planned last epoch, so a short plan is not a long plan cut
short). ``small_cnn_aug`` (8 epochs, 03: 8) and ``small_cnn_aug_12ep`` (12 epochs) add 03's flips
and shifts (``utils.lessons.cifar_augmentation``); ``alexnet`` (with whitening, 12 epochs, as
in 03; not in the default run) too. The reference trains as written, in float32. Here all
train on the 50,000 training images (03 keeps 5,000 for validation). A run stops early once it
reaches 85 %.

Prints, for each model: wall time of training until each accuracy was first reached,
images per second, peak resident memory, best accuracy, and the ratio course / reference.
Run it by hand on an otherwise idle machine; it is never a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

TARGETS = (0.70, 0.75, 0.80, 0.85)

# name -> epochs planned, batch size, optimizer and peak learning rate, schedule (and the rest)
COURSE = dict(
    batch_size=512,
    optimizer="sgd",
    learning_rate=1.5,
    weight_decay=0.009,
    schedule="cosine",
    warmup_fraction=0.2,
    label_smoothing=0.2,
)
RECIPES = {
    "reference": dict(epochs=40, batch_size=32, optimizer="adam", learning_rate=1e-3, schedule="constant"),
    "small_cnn_2ep": dict(COURSE, epochs=2),
    "small_cnn_3ep": dict(COURSE, epochs=3),
    "small_cnn": dict(COURSE, epochs=6),
    "small_cnn_learned": dict(COURSE, epochs=6, whitening=False),
    "small_cnn_aug": dict(COURSE, epochs=8, augment=True),
    "small_cnn_aug_12ep": dict(COURSE, epochs=12, augment=True),
    "alexnet": dict(COURSE, epochs=12, augment=True),
}
DEFAULT_MODELS = [
    "reference",
    "small_cnn_2ep",
    "small_cnn_3ep",
    "small_cnn",
    "small_cnn_learned",
    "small_cnn_aug",
    "small_cnn_aug_12ep",
]


def reference_cnn():
    """ML4T ch. 18, notebook 03's CNN (Keras 3: keras.Input instead of input_shape=)."""
    import keras
    from keras import layers

    return keras.Sequential(
        [
            keras.Input(shape=(32, 32, 3)),
            layers.Conv2D(16, 2, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 2, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(64, 2, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Dropout(0.3),
            layers.Flatten(),
            layers.Dense(500, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(10, activation="softmax"),
        ],
        name="reference_cnn",
    )


def build(name: str, x_train):
    """The network called ``name``, built as notebook 03 builds it (``x_train``: uint8 training images)."""
    from utils import lessons

    if name == "reference":
        return reference_cnn()
    if name not in RECIPES:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(RECIPES)}")
    whitening = None
    if RECIPES[name].get("whitening", True):
        whitening = lessons.patch_whitening(x_train[:5_000] / 255)
    if name == "alexnet":
        return lessons.alexnet_cifar(whitening)
    return lessons.small_cnn(whitening)


def run_one(name: str, max_minutes: float, seed: int) -> dict:
    """Train ``name`` in this process and return its curve (called in a child process)."""
    import keras

    from utils import fast_precision, set_seeds, setup_devices
    from utils.data import load_cifar10
    from utils.lessons import cifar_augmentation, make_optimizer, smoothed_crossentropy, warmup_cosine
    from utils.pipeline import make_dataset

    info = setup_devices(verbose=False)
    recipe = RECIPES[name]
    policy = "float32" if name == "reference" else fast_precision(info)
    keras.mixed_precision.set_global_policy(policy)
    (x_train, y_train), (x_test, y_test) = load_cifar10()
    augment = cifar_augmentation() if recipe.get("augment") else None
    train_ds = make_dataset(x_train, y_train, recipe["batch_size"], shuffle=True, augment=augment, seed=seed)
    test_ds = make_dataset(x_test, y_test, 500)
    set_seeds(seed)
    model = build(name, x_train)
    steps = int(train_ds.cardinality())
    if recipe["schedule"] == "cosine":
        warmup = recipe["warmup_fraction"] * recipe["epochs"]
        rate = warmup_cosine(recipe["learning_rate"], recipe["epochs"], steps, warmup)
    else:
        rate = recipe["learning_rate"]
    optimizer = make_optimizer(recipe["optimizer"], rate, recipe.get("weight_decay", 0.0))
    if recipe.get("label_smoothing"):
        loss = smoothed_crossentropy(recipe["label_smoothing"])
    else:
        loss = "sparse_categorical_crossentropy"
    model.compile(optimizer, loss, metrics=["accuracy"])
    curve, trained = [], 0.0
    for epoch in range(1, recipe["epochs"] + 1):
        start = time.perf_counter()
        model.fit(train_ds, epochs=1, verbose=0, shuffle=False)
        trained += time.perf_counter() - start
        accuracy = float(model.evaluate(test_ds, verbose=0, return_dict=True)["accuracy"])
        curve.append((epoch, trained, accuracy))
        print(
            f"  {name} epoch {epoch}: {trained / 60:.2f} min, test accuracy {accuracy:.4f}", file=sys.stderr
        )
        if accuracy >= TARGETS[-1] or trained > max_minutes * 60:
            break
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(
        model=name,
        parameters=int(model.count_params()),
        curve=curve,
        images_per_second=len(x_train) * len(curve) / trained,
        peak_mib=peak_mib,
        best=max(a for _, _, a in curve),
        threads=os.cpu_count(),
        policy=policy,
    )


def minutes_to(result: dict, target: float):
    for _, seconds, accuracy in result["curve"]:
        if accuracy >= target:
            return seconds / 60
    return None


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, choices=list(RECIPES))
    parser.add_argument("--rounds", type=int, default=2, help="runs per model, in alternating order")
    parser.add_argument("--max-minutes", type=float, default=30.0, help="stop a run after this much training")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.max_minutes, args.seed)))
        return
    results: dict[str, list[dict]] = {m: [] for m in args.models}
    for r in range(args.rounds):
        order = args.models if r % 2 == 0 else list(reversed(args.models))
        for name in order:
            print(f"round {r + 1}: {name}", file=sys.stderr)
            cmd = [sys.executable, __file__, "--child", name, "--max-minutes", str(args.max_minutes)]
            out = subprocess.run(
                cmd + ["--seed", str(args.seed)], check=True, stdout=subprocess.PIPE, text=True
            )
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print_summary(results)


def print_summary(results: dict[str, list[dict]]) -> None:
    """The table: minutes of training to each target (mean of runs; "-": not reached), images/s,
    peak memory, best accuracy, minutes trained in all; then the ratios course / reference."""
    header = f"{'model':18s} {'params':>9s} " + " ".join(f"{f'to {t:.0%}':>8s}" for t in TARGETS)
    header += f" {'img/s':>7s} {'peak MiB':>9s} {'best':>6s} {'trained':>8s} {'precision':>15s}"
    print(header + "   (minutes of training; mean of runs)")
    summary, trained = {}, {}
    for name, runs in results.items():
        times = []
        for t in TARGETS:
            reached = [minutes_to(run, t) for run in runs]
            times.append(None if None in reached else sum(reached) / len(reached))
        ips = sum(run["images_per_second"] for run in runs) / len(runs)
        peak = max(run["peak_mib"] for run in runs)
        best = sum(run["best"] for run in runs) / len(runs)
        summary[name] = times
        trained[name] = min(run["curve"][-1][1] for run in runs) / 60
        print(
            f"{name:18s} {runs[0]['parameters']:9,d} "
            + " ".join(f"{_fmt(m, '8.1f'):>8s}" for m in times)
            + f" {ips:7.0f} {peak:9.0f} {best:6.2%} {trained[name]:8.1f} {runs[0].get('policy', '?'):>15s}"
        )
    if "reference" not in summary:
        return
    for name, times in summary.items():
        if name == "reference":
            continue
        parts = []
        for t, a, b in zip(TARGETS, times, summary["reference"]):
            if a is None:
                parts.append(f"{t:.0%}: -")
            elif b is None:  # the reference never got there: its whole training time is a lower bound
                parts.append(f"{t:.0%}: < {a / trained['reference']:.2f}")
            else:
                parts.append(f"{t:.0%}: {a / b:.2f}")
        print(f"ratio {name} / reference, time to " + ", ".join(parts))
    if None in summary["reference"]:
        print("(< x: the reference did not reach that accuracy; x = course time / reference's whole run)")


if __name__ == "__main__":
    main()
