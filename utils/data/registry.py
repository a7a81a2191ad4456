"""What each data set is, where it can be downloaded, and the SHA-256 of every file.

A data set may exist in more than one *variant* (the original archive, or the offline
copy kept in ``../shared/data``); a variant is a list of items, each a file (optionally
an archive to unpack after download) or a folder tree checked as a whole.

Each accepted digest is listed: where the offline copy was re-compressed (MNIST and
Fashion-MNIST ``.gz`` files whose uncompressed bytes are identical to the upstream
files), both the upstream digest and the copy's digest are accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class File:
    """One file of a data set, relative to the data set's folder."""

    path: str
    sha256: tuple[str, ...]
    url: str | None = None
    unpack: bool = False  # an archive whose content is extracted next to it after download
    # Built from pieces: the name of a SHA-256 list shipped in this package (one "<digest>
    # <file name>" a line). Each piece is downloaded from ``url + <file name>`` and checked;
    # the file is their concatenation in C-locale name order under one header line.
    parts: str | None = None


@dataclass(frozen=True)
class Tree:
    """A folder checked as a whole: SHA-256 of all matching files concatenated in sorted order."""

    path: str
    pattern: str
    sha256: tuple[str, ...]


@dataclass(frozen=True)
class Variant:
    name: str
    items: tuple[File | Tree, ...]
    description: str = ""

    @property
    def downloadable(self) -> bool:
        return all(isinstance(i, File) and i.url for i in self.items)


@dataclass(frozen=True)
class DataSet:
    name: str
    title: str
    subdir: str  # folder below a data directory: "mnist", "stocks/sp500_5yr"
    variants: tuple[Variant, ...]
    keras_cache: str | None = None  # folder below ~/.keras/datasets holding the same files
    manual: str | None = None  # how to get it when there is no download URL
    notes: tuple[str, ...] = field(default_factory=tuple)
    size: str = ""  # download size, for messages: "about 11 MB"
    source: str = ""  # where the download comes from, in words

    @property
    def fetch_command(self) -> str:
        return f"python -m utils.data fetch {self.name}"


_CVDF = "https://storage.googleapis.com/cvdf-datasets/mnist/"
_FASHION = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_TF_DATA = "https://storage.googleapis.com/download.tensorflow.org/data/"
# The two stock files come from MIT-licensed GitHub repositories, pinned to one commit.
CNUGE_COMMIT = "f1109438d6cfb3ffdaa7d4480437cfbaaedd3236"
_CNUGE = (
    f"https://raw.githubusercontent.com/CNuge/kaggle-code/{CNUGE_COMMIT}/stock_data/individual_stocks_5yr/"
)
CALENDAR_COMMIT = "7041e86bf1f3a18c7b0a24a2fbb27031dc1388c5"
_CALENDAR = f"https://raw.githubusercontent.com/fja05680/stock_market_calendar/{CALENDAR_COMMIT}/"

DATASETS: dict[str, DataSet] = {}


def _register(ds: DataSet) -> DataSet:
    DATASETS[ds.name] = ds
    return ds


_register(
    DataSet(
        name="mnist",
        title="MNIST handwritten digits (60,000 + 10,000, 28x28 grey)",
        subdir="mnist",
        size="about 11 MB",
        source="CVDF mirror of the idx files (storage.googleapis.com/cvdf-datasets/mnist)",
        variants=(
            Variant(
                "idx",
                (
                    File(
                        "train-images-idx3-ubyte.gz",
                        (
                            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
                            "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
                        ),
                        _CVDF + "train-images-idx3-ubyte.gz",
                    ),
                    File(
                        "train-labels-idx1-ubyte.gz",
                        ("3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",),
                        _CVDF + "train-labels-idx1-ubyte.gz",
                    ),
                    File(
                        "t10k-images-idx3-ubyte.gz",
                        ("8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",),
                        _CVDF + "t10k-images-idx3-ubyte.gz",
                    ),
                    File(
                        "t10k-labels-idx1-ubyte.gz",
                        ("f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",),
                        _CVDF + "t10k-labels-idx1-ubyte.gz",
                    ),
                ),
                "the four canonical idx files",
            ),
        ),
    )
)

_register(
    DataSet(
        name="fashion_mnist",
        title="Fashion-MNIST clothing (60,000 + 10,000, 28x28 grey)",
        subdir="fashion_mnist",
        size="about 30 MB",
        source="Zalando's idx files (fashion-mnist.s3-website.eu-central-1.amazonaws.com)",
        keras_cache="fashion-mnist",
        variants=(
            Variant(
                "idx",
                (
                    File(
                        "train-images-idx3-ubyte.gz",
                        (
                            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
                            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
                        ),
                        _FASHION + "train-images-idx3-ubyte.gz",
                    ),
                    File(
                        "train-labels-idx1-ubyte.gz",
                        ("a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",),
                        _FASHION + "train-labels-idx1-ubyte.gz",
                    ),
                    File(
                        "t10k-images-idx3-ubyte.gz",
                        (
                            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
                            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
                        ),
                        _FASHION + "t10k-images-idx3-ubyte.gz",
                    ),
                    File(
                        "t10k-labels-idx1-ubyte.gz",
                        ("67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",),
                        _FASHION + "t10k-labels-idx1-ubyte.gz",
                    ),
                ),
                "the four canonical idx files",
            ),
        ),
    )
)

_register(
    DataSet(
        name="cifar10",
        title="CIFAR-10 (50,000 + 10,000, 32x32 RGB, 10 classes)",
        subdir="cifar10",
        size="about 170 MB",
        source="cifar-10-python.tar.gz from www.cs.toronto.edu/~kriz",
        variants=(
            Variant(
                "python",
                (
                    File(
                        "cifar-10-python.tar.gz",
                        ("6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",),
                        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                    ),
                ),
                "the original archive (pickled batches)",
            ),
            Variant(
                "jpeg-q75",
                (
                    File(
                        "cifar-10-jpeg-q75.tar.gz",
                        ("45b041e867f5a40f79bfde38d3dd1fd511103d50068c1afecf6445e25234d4db",),
                    ),
                ),
                "offline copy re-encoded as JPEG quality 75 (lossy: about 1 point lower accuracy)",
            ),
        ),
    )
)

_register(
    DataSet(
        name="rock_paper_scissors",
        title="Rock-Paper-Scissors hand gestures (2,520 + 372, 3 classes)",
        subdir="rock_paper_scissors",
        size="about 230 MB",
        source="rps.zip and rps-test-set.zip from storage.googleapis.com/download.tensorflow.org/data",
        variants=(
            Variant(
                "png-300",
                (
                    File(
                        "rps.zip",
                        ("c2403444395842ad04c53612bad54b574443eae17a0723117a2ff87b9d72194f",),
                        _TF_DATA + "rps.zip",
                        unpack=True,
                    ),
                    File(
                        "rps-test-set.zip",
                        ("c27ab9fa43ce40b2e453de711365b477f4424586edf0388116674fd320f07503",),
                        _TF_DATA + "rps-test-set.zip",
                        unpack=True,
                    ),
                ),
                "the original 300x300 PNGs (the files tfds.load('rock_paper_scissors') reads)",
            ),
        ),
    )
)

_register(
    DataSet(
        name="rock_paper_scissors_28px",
        title="Rock-Paper-Scissors downscaled to 28x28 (2,520 + 372, 3 classes)",
        subdir="rock_paper_scissors_28px",
        size="about 4 MB",
        variants=(
            Variant(
                "png-28",
                (
                    Tree(
                        ".",
                        "*/*/*.png",
                        ("56c5e8d3453596920e1f21176c7770569b70f7ef407683be6def6b20f43d0180",),
                    ),
                ),
                "offline copy, 28x28 RGBA PNGs in rps/ and rps-test-set/",
            ),
        ),
        manual=(
            "There is no public download of the 28x28 copy; with internet use the 300x300 "
            "originals: `python -m utils.data fetch rock_paper_scissors`."
        ),
    )
)

_register(
    DataSet(
        name="sp500_stocks",
        title="Daily OHLCV of 505 S&P 500 members, 2013-02-08 to 2018-02-07 (all_stocks_5yr.csv)",
        subdir="stocks/sp500_5yr",
        size="about 30 MB",
        source=(
            f"the 505 files stock_data/individual_stocks_5yr/<TICKER>_data.csv of GitHub "
            f"CNuge/kaggle-code (MIT) at commit {CNUGE_COMMIT}, joined under one header"
        ),
        variants=(
            Variant(
                "csv",
                (
                    File(
                        "all_stocks_5yr.csv",
                        ("6aea253cd19de60b568143991aaf1fa482456565c389205658d236e595e716cf",),
                        _CNUGE,
                        parts="individual_stocks_5yr.SHA256SUMS",
                    ),
                ),
                "the 505 per-ticker files of the Kaggle data set's author, joined as his merge.sh does",
            ),
        ),
    )
)

_register(
    DataSet(
        name="sp500_index",
        title="S&P 500 index (^GSPC) daily, 1927-12-30 to 2023-12-28 (GSPC.csv)",
        subdir="stocks/sp500_index",
        size="about 2.5 MB",
        source=f"^GSPC.csv of GitHub fja05680/stock_market_calendar (MIT) at commit {CALENDAR_COMMIT}",
        variants=(
            Variant(
                "csv",
                (
                    File(
                        "GSPC.csv",
                        ("baf4e47ab3d5f1328ab22772a836f3579af810d861a95742fd472f33ba180a7c",),
                        _CALENDAR + "%5EGSPC.csv",
                    ),
                ),
            ),
        ),
    )
)

_register(
    DataSet(
        name="svhn",
        title="SVHN format 1: full house-number photos with digit boxes (33,402 + 13,068, about 680 MB)",
        subdir="svhn",
        size="about 680 MB",
        source="train.tar.gz and test.tar.gz from ufldl.stanford.edu/housenumbers",
        variants=(
            Variant(
                "format1",
                (
                    File(
                        "train.tar.gz",
                        ("4b17bb33b6cd8f963493168f80143da956f28ec406cc12f8e5745a9f91a51898",),
                        "http://ufldl.stanford.edu/housenumbers/train.tar.gz",
                        unpack=True,
                    ),
                    File(
                        "test.tar.gz",
                        ("57ac9ceb530e4aa85b55d991be8fc49c695b3d71c6f6a88afea86549efde7fb5",),
                        "http://ufldl.stanford.edu/housenumbers/test.tar.gz",
                        unpack=True,
                    ),
                ),
                "train.tar.gz and test.tar.gz, each unpacked into train/ and test/",
            ),
        ),
        # tensorflow_datasets ships digests only for the format-2 files (*_32x32.mat); these are
        # the digests mindee/doctr checks its downloads against (doctr/datasets/svhn.py). They
        # could not be re-checked on the course's offline machines.
        notes=("SHA-256 as published by mindee/doctr; not re-checked here (no internet).",),
    )
)


# Data sets that TensorFlow Datasets downloads itself when a notebook runs online; offline
# the notebooks use generated stand-in data. Name -> (notebook, size, the exact step).
TFDS_ONLY: dict[str, tuple[str, str, str]] = {
    "cats_vs_dogs": (
        "05_transfer_learning",
        "about 790 MB",
        "python -c \"import tensorflow_datasets as tfds; tfds.load('cats_vs_dogs')\"",
    ),
    "eurosat/rgb": (
        "06_satellite_images",
        "about 90 MB",
        "python -c \"import tensorflow_datasets as tfds; tfds.load('eurosat/rgb')\"",
    ),
}


def get_dataset(name: str) -> DataSet:
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known: {', '.join(sorted(DATASETS))}") from None
