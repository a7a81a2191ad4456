"""Data access: lookup, verification, download and loaders. See ``fetch`` for the lookup order."""

from .fetch import ChecksumError, DataNotFoundError, Located, download, fetch, locate, verify
from .images import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    MNIST_CLASSES,
    RPS_CLASSES,
    load_cifar10,
    load_fashion_mnist,
    load_mnist,
    load_rock_paper_scissors,
    read_idx,
    read_image_folder,
    rps_directories,
)
from .registry import DATASETS, get_dataset
from .stocks import SP500_INDEX_TICKER, load_sp500_index, load_stock_prices
from .transfer_split import TransferSplit, cifar10_transfer_split

__all__ = [
    "ChecksumError",
    "DataNotFoundError",
    "Located",
    "download",
    "fetch",
    "locate",
    "verify",
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "MNIST_CLASSES",
    "RPS_CLASSES",
    "load_cifar10",
    "load_fashion_mnist",
    "load_mnist",
    "load_rock_paper_scissors",
    "read_idx",
    "read_image_folder",
    "rps_directories",
    "DATASETS",
    "get_dataset",
    "SP500_INDEX_TICKER",
    "load_sp500_index",
    "load_stock_prices",
    "TransferSplit",
    "cifar10_transfer_split",
]
