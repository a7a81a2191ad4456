"""Convolution and pooling written out in NumPy, to compare with TensorFlow's kernels.

Deep-learning "convolution" is cross-correlation: the filter is slid over the input
without being flipped, and each output value is the sum of the element-wise product.
These functions are for learning and checking; models use ``keras.layers.Conv2D``.
"""

from __future__ import annotations

import numpy as np


def conv_output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """Output length along one axis: ``floor((n + 2p - k) / s) + 1``."""
    for name, value in (("n", n), ("k", k), ("stride", stride)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if int(padding) != padding or padding < 0:
        raise ValueError(f"padding must be a non-negative integer, got {padding!r}")
    if k > n + 2 * padding:
        raise ValueError(f"a {k}-wide filter does not fit an input of {n} with padding {padding}")
    return (n + 2 * padding - k) // stride + 1


def same_padding(k: int) -> int:
    """Zero padding that keeps the size at stride 1 (an odd filter size ``k``)."""
    if k % 2 == 0:
        raise ValueError(f"'same' padding of p = (k - 1) / 2 needs an odd filter size, got k={k}")
    return (k - 1) // 2


def conv2d(x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0) -> np.ndarray:
    """2-D cross-correlation of a ``(h, w)`` input with a ``(kh, kw)`` filter (one channel)."""
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    if x.ndim != 2 or kernel.ndim != 2:
        raise ValueError(
            f"conv2d expects a 2-D input and a 2-D filter, got shapes {x.shape} and {kernel.shape}"
        )
    if padding:
        x = np.pad(x, padding)
    kh, kw = kernel.shape
    oh = conv_output_size(x.shape[0], kh, 0, stride)
    ow = conv_output_size(x.shape[1], kw, 0, stride)
    # all (kh, kw) windows at once, then keep every `stride`-th one
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw))[::stride, ::stride][:oh, :ow]
    return np.einsum("ijkl,kl->ij", windows, kernel)


def pool2d(x: np.ndarray, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Max or average pooling of a ``(h, w)`` input over ``size x size`` windows (no padding)."""
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"pool2d expects a 2-D input, got shape {x.shape}")
    stride = stride or size
    oh = conv_output_size(x.shape[0], size, 0, stride)
    ow = conv_output_size(x.shape[1], size, 0, stride)
    windows = np.lib.stride_tricks.sliding_window_view(x, (size, size))[::stride, ::stride][:oh, :ow]
    return windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))


def to_grayscale(rgb: np.ndarray) -> np.ndarray:
    """Luminance (ITU-R BT.601 weights) of an ``(h, w, 3)`` image, as float32 in the input's scale."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[-1] != 3:
        raise ValueError(f"to_grayscale expects an (h, w, 3) image, got shape {rgb.shape}")
    return rgb[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
