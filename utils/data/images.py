"""Image data sets as NumPy arrays.

Every loader returns ``(x_train, y_train), (x_test, y_test)`` with

- ``x``: ``uint8`` array of shape ``(n, height, width)`` (grey) or ``(n, height, width, 3)`` (RGB);
- ``y``: ``uint8`` array of shape ``(n,)`` holding the class index (see ``*_CLASSES``).

Scale pixel values (``x / 255``) inside the model or the input pipeline, not here.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

from .fetch import Located, locate

MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_MNIST_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
CIFAR10_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
RPS_CLASSES = ["paper", "rock", "scissors"]  # alphabetical, as image_dataset_from_directory orders them

Split = tuple[np.ndarray, np.ndarray]


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an (optionally gzipped) IDX file of unsigned bytes into an array."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes (magic {data[:4].hex()})")
    ndim = data[3]
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says shape {dims} but holds {body.size} values (truncated?)")
    return body.reshape(dims)


def _load_idx_set(located: Located) -> tuple[Split, Split]:
    folder = located.path
    x_train = read_idx(folder / "train-images-idx3-ubyte.gz")
    y_train = read_idx(folder / "train-labels-idx1-ubyte.gz")
    x_test = read_idx(folder / "t10k-images-idx3-ubyte.gz")
    y_test = read_idx(folder / "t10k-labels-idx1-ubyte.gz")
    return (x_train, y_train), (x_test, y_test)


def load_mnist(data_dir=None, download: bool = True) -> tuple[Split, Split]:
    """MNIST: x ``(60000, 28, 28)`` / ``(10000, 28, 28)`` uint8, y digit 0-9 uint8."""
    return _load_idx_set(locate("mnist", data_dir, download))


def load_fashion_mnist(data_dir=None, download: bool = True) -> tuple[Split, Split]:
    """Fashion-MNIST: like MNIST; class names in ``FASHION_MNIST_CLASSES``."""
    return _load_idx_set(locate("fashion_mnist", data_dir, download))


def _cifar_from_python_archive(archive: Path) -> tuple[Split, Split]:
    batches: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    with tarfile.open(archive) as tf:
        for member in tf.getmembers():
            name = Path(member.name).name
            if name.startswith("data_batch_") or name == "test_batch":
                entry = pickle.load(tf.extractfile(member), encoding="bytes")
                x = entry[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
                batches[name] = (x, np.asarray(entry[b"labels"], dtype=np.uint8))
    train = [batches[f"data_batch_{i}"] for i in range(1, 6)]
    x_train = np.concatenate([b[0] for b in train])
    y_train = np.concatenate([b[1] for b in train])
    return (x_train, y_train), batches["test_batch"]


def _cifar_from_jpeg_archive(archive: Path) -> tuple[Split, Split]:
    from PIL import Image

    found: dict[str, list[tuple[int, str, np.ndarray]]] = {"train": [], "test": []}
    with tarfile.open(archive) as tf:
        for member in tf:
            parts = Path(member.name).parts
            if not member.isfile() or len(parts) != 3 or parts[0] not in found:
                continue
            split, cls, fname = parts
            with Image.open(io.BytesIO(tf.extractfile(member).read())) as im:
                pixels = np.asarray(im.convert("RGB"))
            found[split].append((CIFAR10_CLASSES.index(cls), fname, pixels))
    out = []
    for split in ("train", "test"):
        rows = sorted(found[split], key=lambda r: (r[0], r[1]))
        out.append((np.stack([r[2] for r in rows]), np.array([r[0] for r in rows], dtype=np.uint8)))
    return out[0], out[1]


def load_cifar10(data_dir=None, download: bool = True) -> tuple[Split, Split]:
    """CIFAR-10: x ``(50000, 32, 32, 3)`` / ``(10000, 32, 32, 3)`` uint8, y 0-9 (``CIFAR10_CLASSES``).

    Reads the original archive, or offline the JPEG re-encoded copy (lossy; images come
    ordered by class there, so shuffle before taking a validation split).
    """
    located = locate("cifar10", data_dir, download)
    archive = located.path / located.variant.items[0].path
    if located.variant.name == "python":
        return _cifar_from_python_archive(archive)
    return _cifar_from_jpeg_archive(archive)


def rps_directories(data_dir=None, download: bool = True, small: bool | None = None) -> tuple[Path, Path]:
    """Folders ``(train_dir, test_dir)`` of Rock-Paper-Scissors, one sub-folder per class.

    ``small=None`` takes the 300x300 originals when present (or downloadable) and the 28x28
    offline copy otherwise; ``small=True`` / ``False`` asks for one of them. The folders
    suit ``keras.utils.image_dataset_from_directory``.
    """
    from .fetch import DataNotFoundError

    names = {
        True: ["rock_paper_scissors_28px"],
        False: ["rock_paper_scissors"],
        None: ["rock_paper_scissors", "rock_paper_scissors_28px"],
    }[small]
    errors = []
    for i, name in enumerate(names):
        try:
            # with small=None, look for the large set on disk first but download it only
            # when the small copy is not there either
            located = locate(name, data_dir, download=download and (len(names) == 1))
            return located.path / "rps", located.path / "rps-test-set"
        except DataNotFoundError as exc:
            errors.append(str(exc))
    if small is None and download:
        located = locate("rock_paper_scissors", data_dir, download=True)
        return located.path / "rps", located.path / "rps-test-set"
    raise DataNotFoundError("\n\n".join(errors))


def read_image_folder(
    folder: str | os.PathLike, classes: list[str], image_size: tuple[int, int] | None = None
) -> Split:
    """Read ``folder/<class>/*.png|jpg`` into RGB uint8 arrays (sorted by class, then file)."""
    from PIL import Image

    folder = Path(folder)
    xs, ys = [], []
    for label, cls in enumerate(classes):
        files = sorted(p for p in (folder / cls).glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg"))
        if not files:
            raise FileNotFoundError(
                f"no images in {folder / cls}; expected {folder}/<class>/*.png for classes {classes}"
            )
        for path in files:
            with Image.open(path) as im:
                im = im.convert("RGB")
                if image_size is not None and im.size != tuple(image_size[::-1]):
                    im = im.resize(tuple(image_size[::-1]), Image.Resampling.BILINEAR)
                xs.append(np.asarray(im))
            ys.append(label)
    return np.stack(xs), np.array(ys, dtype=np.uint8)


def load_rock_paper_scissors(
    data_dir=None, download: bool = True, small: bool | None = None, image_size: tuple[int, int] | None = None
) -> tuple[Split, Split]:
    """Rock-Paper-Scissors: x ``(2520, h, w, 3)`` / ``(372, h, w, 3)`` uint8 RGB, y (``RPS_CLASSES``).

    ``h = w = 300`` for the originals, 28 for the offline copy, or ``image_size=(h, w)``.
    """
    train_dir, test_dir = rps_directories(data_dir, download, small)
    return (
        read_image_folder(train_dir, RPS_CLASSES, image_size),
        read_image_folder(test_dir, RPS_CLASSES, image_size),
    )
