"""One plotting style and the figures every notebook draws.

Figures are saved with :func:`save_fig` to ``output/figures/<notebook>/<name>.png`` at 130 dpi
(git-ignored: a run never changes a committed file; see :mod:`utils.paths`).
Nothing here changes matplotlib's settings until :func:`set_style` is called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from .io import atomic_path
from .paths import figures_dir

STYLE = {
    "figure.figsize": (8, 4.5),
    "figure.dpi": 100,
    "savefig.dpi": 130,
    "savefig.bbox": "tight",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "image.cmap": "viridis",
}


def set_style() -> None:
    """Apply the course's matplotlib style (call once in a notebook's setup cell)."""
    matplotlib.rcParams.update(STYLE)


def save_fig(fig: matplotlib.figure.Figure, name: str, notebook: str, dpi: int = 130) -> Path:
    """Save ``fig`` as ``output/figures/<notebook>/<name>.png`` (atomically) and return the path."""
    if not name or "/" in name or "\\" in name:
        raise ValueError(f"figure name must be a plain file name, got {name!r}")
    path = figures_dir(notebook) / (name if name.endswith(".png") else f"{name}.png")
    with atomic_path(path, suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, format="png", bbox_inches="tight")
    return path


def plot_image_grid(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cmap: str | None = "gray",
    size: float = 1.6,
    suptitle: str | None = None,
) -> matplotlib.figure.Figure:
    """A grid of images (grey ``(h, w)`` or colour ``(h, w, 3)``), one title each."""
    images = list(images)
    if not images:
        raise ValueError("plot_image_grid needs at least one image")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"got {len(images)} images but {len(titles)} titles")
    ncols = max(1, min(ncols, len(images)))
    nrows = int(np.ceil(len(images) / ncols))
    row_height = size + (0.3 if titles is not None else 0)  # room for each image's title
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, row_height * nrows + (0.4 if suptitle else 0)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        img = np.asarray(images[i])
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        ax.imshow(img, cmap=cmap if img.ndim == 2 else None)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def plot_history(
    history, metrics: Sequence[str] | None = None, title: str | None = None
) -> matplotlib.figure.Figure:
    """Training curves from a Keras ``History`` (or its ``.history`` dict): one panel a metric,
    training and validation side by side."""
    hist: Mapping[str, Sequence[float]] = getattr(history, "history", history)
    if not hist:
        raise ValueError("the history is empty: was the model trained?")
    metrics = list(metrics or [k for k in hist if not k.startswith("val_") and k != "learning_rate"])
    missing = [m for m in metrics if m not in hist]
    if missing:
        raise KeyError(f"metrics {missing} not in the history; it holds {sorted(hist)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.flat, metrics):
        epochs = np.arange(1, len(hist[metric]) + 1)
        ax.plot(epochs, hist[metric], marker="o", ms=3, label="training")
        if f"val_{metric}" in hist:
            ax.plot(epochs, hist[f"val_{metric}"], marker="o", ms=3, label="validation")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(
    y_true,
    y_pred,
    class_names: Sequence[str],
    normalize: bool = True,
    title: str | None = None,
    log_colors: bool = False,
) -> matplotlib.figure.Figure:
    """Confusion matrix (rows: true class, columns: predicted), shares per row when normalized.

    ``log_colors=True`` colours the cells on a logarithmic scale: with a good classifier the
    diagonal holds ~1,000 images a class and the mistakes a handful, and on a linear scale
    every off-diagonal cell looks empty. The printed numbers stay the counts (or shares).
    """
    y_true = np.asarray(y_true).ravel()
    y_pred = np.asarray(y_pred).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} labels but y_pred has {y_pred.size}")
    k = len(class_names)
    cm = np.zeros((k, k), dtype=np.int64)
    np.add.at(cm, (y_true.astype(int), y_pred.astype(int)), 1)
    shown = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1) if normalize else cm
    fig, ax = plt.subplots(figsize=(0.55 * k + 3, 0.55 * k + 2.5))
    if log_colors:
        from matplotlib.colors import LogNorm

        smallest = shown[shown > 0].min() if (shown > 0).any() else 1
        # the lowest colour of "Blues" is almost white: start the scale below the smallest count
        norm = LogNorm(vmin=smallest / 4, vmax=shown.max())
        im = ax.imshow(np.where(shown > 0, shown, np.nan), cmap="Blues", norm=norm)
    else:
        im = ax.imshow(shown, cmap="Blues", vmin=0)
    ax.grid(False)
    ax.set_xticks(range(k), class_names, rotation=45, ha="right")
    ax.set_yticks(range(k), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    threshold = np.sqrt(shown.max() * max(shown[shown > 0].min(), 1e-12)) if log_colors else shown.max() / 2
    for i in range(k):
        for j in range(k):
            text = f"{shown[i, j]:.2f}" if normalize else str(cm[i, j])
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=7,
                color="white" if shown[i, j] > threshold else "black",
            )
    fig.colorbar(im, ax=ax, fraction=0.046)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    fig.confusion = cm  # the counts, for checks
    return fig
