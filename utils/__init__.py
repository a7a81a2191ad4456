"""Shared helpers of the CNN course (images and financial time series).

Importing ``utils`` has no side effects: nothing is seeded, styled or downloaded, and
TensorFlow is imported only by the functions that need it.

Typical setup cell of a notebook::

    from utils import scaled, set_seeds, setup_devices, set_style, save_fig
    P = scaled(dict(epochs=20), smoke=dict(epochs=1))
    set_seeds(42); set_style(); setup_devices()
"""

from .artifacts import ArtifactNotFoundError, artifact_path, load_artifact, save_artifact, weights_sha256
from .devices import DeviceInfo, distribution_strategy, fast_precision, setup_devices
from .paths import figures_dir, output_dir, repo_root
from .plots import plot_confusion_matrix, plot_history, plot_image_grid, save_fig, set_style
from .scale import Params, get_scale, scaled
from .seed import set_seeds

__version__ = "0.1.0"

__all__ = [
    "ArtifactNotFoundError",
    "artifact_path",
    "load_artifact",
    "save_artifact",
    "weights_sha256",
    "DeviceInfo",
    "distribution_strategy",
    "setup_devices",
    "fast_precision",
    "figures_dir",
    "output_dir",
    "repo_root",
    "plot_confusion_matrix",
    "plot_history",
    "plot_image_grid",
    "save_fig",
    "set_style",
    "Params",
    "get_scale",
    "scaled",
    "set_seeds",
]
