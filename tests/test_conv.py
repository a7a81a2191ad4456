import numpy as np
import pytest
import tensorflow as tf

from utils.conv import conv2d, conv_output_size, pool2d, same_padding, to_grayscale

X = np.array([[5, 1, 5, 4], [2, 4, 0, 5], [5, 4, 4, 3], [4, 0, 5, 5]])
K = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def _tf_conv(x, k, stride=1, padding="VALID"):
    out = tf.nn.conv2d(
        x[None, :, :, None].astype("float32"),
        k[:, :, None, None].astype("float32"),
        strides=stride,
        padding=padding,
    )
    return out.numpy()[0, :, :, 0]


def test_slide_example():
    np.testing.assert_array_equal(conv2d(X, K), [[23, 12], [15, 18]])


@pytest.mark.parametrize("stride,padding", [(1, 0), (2, 0), (1, 1), (2, 1), (3, 2)])
def test_matches_tensorflow_on_random_inputs(stride, padding):
    rng = np.random.default_rng(stride * 10 + padding)
    x, k = rng.normal(size=(9, 11)), rng.normal(size=(3, 3))
    expected = _tf_conv(np.pad(x, padding), k, stride)
    np.testing.assert_allclose(conv2d(x, k, stride, padding), expected, rtol=1e-5, atol=1e-5)


def test_same_padding_keeps_size_and_matches_tf_same():
    out = conv2d(X, K, padding=same_padding(3))
    assert out.shape == X.shape
    np.testing.assert_allclose(out, _tf_conv(X, K, padding="SAME"))
    with pytest.raises(ValueError, match="odd filter size"):
        same_padding(4)


def test_output_size_formula():
    assert conv_output_size(4, 3) == 2
    assert conv_output_size(32, 5, padding=2) == 32
    assert conv_output_size(227, 11, stride=4) == 55  # AlexNet's first layer
    assert conv_output_size(7, 3, stride=2) == 3
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(2, 3)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        conv_output_size(4, 3, stride=0)
    with pytest.raises(ValueError, match="padding must be"):
        conv_output_size(4, 3, padding=-1)


def test_pooling_matches_tensorflow():
    x = X.astype("float32")
    np.testing.assert_array_equal(pool2d(X), [[5, 5], [5, 5]])
    np.testing.assert_allclose(pool2d(X, mode="avg"), [[3.0, 3.5], [3.25, 4.25]])
    tf_max = tf.nn.max_pool2d(x[None, :, :, None], 2, 2, "VALID").numpy()[0, :, :, 0]
    tf_avg = tf.nn.avg_pool2d(x[None, :, :, None], 2, 2, "VALID").numpy()[0, :, :, 0]
    np.testing.assert_allclose(pool2d(X), tf_max)
    np.testing.assert_allclose(pool2d(X, mode="avg"), tf_avg)
    assert pool2d(np.arange(25).reshape(5, 5), size=3, stride=1).shape == (3, 3)
    with pytest.raises(ValueError, match="mode must be"):
        pool2d(X, mode="median")


def test_shape_errors_and_grayscale():
    with pytest.raises(ValueError, match="2-D input and a 2-D filter"):
        conv2d(np.zeros((2, 4, 4)), K)
    with pytest.raises(ValueError, match="2-D input"):
        pool2d(np.zeros((4,)))
    grey = to_grayscale(np.full((2, 3, 3), 255, dtype=np.uint8))
    assert grey.shape == (2, 3) and grey.dtype == np.float32
    np.testing.assert_allclose(grey, 255.0, rtol=1e-6)
    with pytest.raises(ValueError, match=r"\(h, w, 3\)"):
        to_grayscale(np.zeros((4, 4)))
