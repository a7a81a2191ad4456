"""utils.architectures: hand arithmetic of the milestone blocks against Keras' own counts."""
import keras
import numpy as np
import pytest

from utils import architectures as A


# ------------------------------------------------------------------ arithmetic
def test_conv_params_and_macs_by_hand():
    assert A.conv_params(3, 3, 64) == 3 * 3 * 3 * 64 + 64 == 1_792      # VGG16 block1_conv1
    assert A.conv_params(11, 3, 96) == 34_944                             # AlexNet conv1
    assert A.conv_params(3, 64, 64, bias=False) == 36_864
    assert A.conv_macs(3, 64, 64, 10, 10) == 36_864 * 100


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, None])
def test_conv_params_refuses_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        A.conv_params(bad, 3, 64)


def test_receptive_field():
    assert A.receptive_field([3]) == 3
    assert A.receptive_field([3, 3]) == 5
    assert A.receptive_field([3, 3, 3]) == 7
    assert A.receptive_field([3, 3], strides=[2, 1]) == 7      # the second layer's steps count double
    with pytest.raises(ValueError, match="at least one kernel"):
        A.receptive_field([])
    with pytest.raises(ValueError, match="one stride per layer"):
        A.receptive_field([3, 3], strides=[1])


def test_two_3x3_against_one_5x5():
    r = A.stacked_vs_single(2, 64)
    assert r["receptive_field"] == 5
    assert r["stacked_weights"] == 2 * 9 * 64 * 64 == 73_728
    assert r["single_weights"] == 25 * 64 * 64 == 102_400
    assert r["ratio"] == pytest.approx(18 / 25)
    assert r["nonlinearities"] == (2, 1)
    r3 = A.stacked_vs_single(3, 10)
    assert r3["single_kernel"] == 7 and r3["ratio"] == pytest.approx(27 / 49)


def test_separable_cost_formula():
    c = A.separable_cost(3, 32, 64, 112, 112)
    assert c["standard_weights"] == 18_432
    assert c["separable_weights"] == 9 * 32 + 32 * 64 == 2_336
    assert c["standard_macs"] == 18_432 * 112 * 112
    assert c["separable_macs"] == 2_336 * 112 * 112
    assert c["ratio"] == pytest.approx(1 / 64 + 1 / 9)
    assert c["ratio"] == pytest.approx(c["formula"])


def test_inception_params_3a():
    p = A.inception_params(192, 64, 96, 128, 16, 32, 32)
    assert p["out_channels"] == 256
    assert p["1x1"] == 192 * 64 + 64
    assert p["3x3"] == (192 * 96 + 96) + (9 * 96 * 128 + 128)
    assert p["total"] == 163_696
    assert p["without_bottlenecks"] > 2 * p["total"]


def test_batchnorm_and_block_params():
    assert A.batchnorm_params(16) == 64
    with pytest.raises(ValueError, match="channels"):
        A.batchnorm_params(0)
    same = A.basic_block_params(16, 16)
    assert same == A.basic_block_params(16, 16, residual=False) == 2 * 9 * 16 * 16 + 2 * 64
    assert A.basic_block_params(16, 32, 2) - A.basic_block_params(16, 32, 2, residual=False) == 16 * 32 + 4 * 32


# ------------------------------------------------------------------ Keras blocks
def _count(model):
    return model.count_params()


def test_vgg_block_shape_and_params():
    m = A.block_model(A.vgg_block, (56, 56, 64), name="v", filters=128, n_convs=2)
    assert m.output.shape[1:] == (28, 28, 128)
    assert _count(m) == A.conv_params(3, 64, 128) + A.conv_params(3, 128, 128)
    with pytest.raises(ValueError, match="n_convs"):
        A.block_model(A.vgg_block, (8, 8, 3), name="bad", filters=4, n_convs=0)


def test_inception_module_matches_arithmetic():
    m = A.block_model(A.inception_module, (28, 28, 192), name="i3a",
                      f1=64, f3_reduce=96, f3=128, f5_reduce=16, f5=32, pool_proj=32)
    assert m.output.shape[1:] == (28, 28, 256)
    assert _count(m) == A.inception_params(192, 64, 96, 128, 16, 32, 32)["total"]


@pytest.mark.parametrize("c_in,filters,stride", [(16, 16, 1), (16, 32, 2)])
@pytest.mark.parametrize("residual", [True, False])
def test_basic_block_matches_arithmetic(c_in, filters, stride, residual):
    m = A.block_model(A.basic_block, (16, 16, c_in), name="b", filters=filters, stride=stride, residual=residual)
    assert m.output.shape[1:] == (16 // stride, 16 // stride, filters)
    assert _count(m) == A.basic_block_params(c_in, filters, stride, residual)
    names = [layer.name for layer in m.layers]
    assert ("b_add" in names) == residual


def test_residual_block_at_zero_weights_is_identity_plus_relu():
    """With the residual branch switched off (last BN's gamma = 0) the block passes x through."""
    m = A.block_model(A.residual_block, (4, 4, 3), name="r", filters=3)
    bn = m.get_layer("r_bn2")
    gamma, beta, mean, var = bn.get_weights()
    bn.set_weights([np.zeros_like(gamma), beta, mean, var])
    x = np.random.default_rng(0).uniform(0, 1, (2, 4, 4, 3)).astype("float32")
    np.testing.assert_allclose(m.predict(x, verbose=0), x, atol=1e-6)


def test_dense_block_matches_arithmetic():
    m = A.block_model(A.dense_block, (8, 8, 64), name="d", n_layers=3, growth_rate=12)
    expected = A.dense_block_params(64, 3, 12)
    assert expected["out_channels"] == 64 + 3 * 12
    assert m.output.shape[1:] == (8, 8, expected["out_channels"])
    assert _count(m) == expected["params"]


def test_depthwise_separable_block_matches_arithmetic():
    m = A.block_model(A.depthwise_separable_block, (16, 16, 32), name="s", filters=64, stride=2)
    assert m.output.shape[1:] == (8, 8, 64)
    weights = A.separable_cost(3, 32, 64, 8, 8)["separable_weights"]
    assert _count(m) == weights + A.batchnorm_params(32) + A.batchnorm_params(64)


def test_block_model_refuses_bad_shape():
    with pytest.raises(ValueError, match=r"\(height, width, channels\)"):
        A.block_model(A.vgg_block, (32, 32), filters=4)


def test_conv_layer_model_alexnet_and_zfnet():
    alex = A.conv_layer_model((227, 227, 3), 96, 11, 4, name="alex")
    zf = A.conv_layer_model((224, 224, 3), 96, 7, 2, name="zf")
    assert alex.output.shape[1:] == (55, 55, 96) and _count(alex) == A.conv_params(11, 3, 96)
    assert zf.output.shape[1:] == (109, 109, 96) and _count(zf) == A.conv_params(7, 3, 96)


@pytest.mark.parametrize("depth", [8, 14])
def test_cifar_net_depth_and_skip(depth):
    plain = A.cifar_net(depth, width=4, residual=False)
    res = A.cifar_net(depth, width=4, residual=True)
    assert plain.output.shape[1:] == res.output.shape[1:] == (10,)
    assert A.count_weight_layers(plain) == depth
    assert A.count_weight_layers(res) == depth + 2          # two projection shortcuts
    assert not any(layer.name.endswith("_add") for layer in plain.layers)
    assert sum(layer.name.endswith("_add") for layer in res.layers) == 3 * (depth - 2) // 6
    assert plain.name == f"plain{depth}" and res.name == f"resnet{depth}"


@pytest.mark.parametrize("depth", [7, 10, 2])
def test_cifar_net_refuses_bad_depth(depth):
    with pytest.raises(ValueError, match="6n \\+ 2"):
        A.cifar_net(depth, width=4)


def test_count_weight_layers_looks_into_nested_models():
    inner = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3), keras.layers.BatchNormalization()])
    x = keras.Input(shape=(4,))
    outer = keras.Model(x, keras.layers.Dense(2)(inner(x)))
    assert A.count_weight_layers(outer) == 2


def test_layer_table_lists_layers_and_total():
    m = A.conv_layer_model((8, 8, 3), 4, 3, 1, name="c")
    text = A.layer_table(m)
    assert "c " in text and "(6, 6, 4)" in text and text.splitlines()[-1].split()[-1] == "112"
    assert "c_input" not in A.layer_table(m, only_params=True)


def test_applications_table_with_a_tiny_builder():
    seen = []

    def tiny(name, shape):
        seen.append((name, shape))
        x = keras.Input(shape=shape)
        y = keras.layers.Conv2D(2, 3)(x)
        y = keras.layers.GlobalAveragePooling2D()(y)
        return keras.Model(x, keras.layers.Dense(3)(y))

    rows = A.applications_table(("VGG16", "InceptionV3"), builder=tiny)
    assert seen == [("VGG16", (224, 224, 3)), ("InceptionV3", (299, 299, 3))]
    assert [r["depth"] for r in rows] == [2, 2]
    assert rows[0]["params"] == 3 * 3 * 3 * 2 + 2 + 2 * 3 + 3
    assert rows[1]["top1"] == A.PUBLISHED_TOP1["InceptionV3"] and rows[1]["input"] == "299x299"
    text = A.format_table(rows)
    assert "VGG16" in text and "71.3%" in text


def test_applications_table_errors():
    with pytest.raises(KeyError, match="no published top-1"):
        A.applications_table(("AlexNet",), builder=lambda n, s: None)
    with pytest.raises(ValueError, match="no rows"):
        A.format_table([])


def test_applications_table_real_small_model():
    """The real constructor path, on the smallest of the five (MobileNetV2, 3.5 M parameters)."""
    rows = A.applications_table(("MobileNetV2",))
    assert rows[0]["params"] == 3_538_984            # the Keras docs' count
    assert rows[0]["depth"] == 53                    # 35 convolutions, 17 depthwise, 1 dense
