import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from utils.plots import (
    STYLE,
    plot_confusion_matrix,
    plot_history,
    plot_image_grid,  # noqa: E402
    save_fig,
    set_style,
)


def teardown_function():
    plt.close("all")
    matplotlib.rcdefaults()


def test_set_style_applies_course_settings():
    matplotlib.rcdefaults()
    assert matplotlib.rcParams["savefig.dpi"] != 130
    set_style()
    assert matplotlib.rcParams["savefig.dpi"] == 130
    assert matplotlib.rcParams["axes.grid"] is STYLE["axes.grid"]


def test_save_fig_writes_a_130_dpi_png_under_figures(tmp_path):
    fig, ax = plt.subplots(figsize=(2, 1))
    ax.plot([0, 1])
    path = save_fig(fig, "line", notebook="00_test")
    assert path == (tmp_path / "figures" / "00_test" / "line.png").resolve()
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert round(im.info["dpi"][0]) == 130
        assert 200 <= im.size[0] <= 300  # 2 inches at 130 dpi (tight bbox trims a little)
    with pytest.raises(ValueError, match="plain file name"):
        save_fig(fig, "../escape", notebook="00_test")


def test_image_grid_layout_titles_and_errors():
    images = [np.zeros((5, 5)), np.ones((5, 5, 1)), np.zeros((5, 5, 3), dtype=np.uint8)]
    fig = plot_image_grid(images, titles=["a", "b", "c"], ncols=2)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:3]] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="3 images but 2 titles"):
        plot_image_grid(images, titles=["a", "b"])
    with pytest.raises(ValueError, match="at least one image"):
        plot_image_grid([])


def test_image_grid_titles_of_the_second_row_clear_the_first_row():
    images = [np.random.default_rng(0).random((32, 32, 3)) for _ in range(16)]
    fig = plot_image_grid(
        images, titles=[f"class {i}" for i in range(16)], ncols=8, size=1.4, suptitle="two rows"
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for col in range(8):
        upper = fig.axes[col].get_window_extent(renderer)  # the image of row 1
        title = fig.axes[8 + col].title.get_window_extent(renderer)  # the title of row 2
        assert title.y1 <= upper.y0, f"column {col}: the row-2 title overlaps the row-1 image"


def test_history_panels_and_errors():
    hist = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8], "val_accuracy": [0.4, 0.7]}
    fig = plot_history(hist)
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss", "accuracy"]
    assert [len(line.get_xdata()) for line in fig.axes[0].lines] == [2, 2]
    with pytest.raises(KeyError, match="metrics \\['auc'\\] not in the history"):
        plot_history(hist, metrics=["auc"])
    with pytest.raises(ValueError, match="empty"):
        plot_history({})


def test_confusion_matrix_log_colors_show_the_mistakes():
    # 1,000 right and 3 wrong: on a linear scale the 3 would get the colour of the empty cells
    y_true = [0] * 1003 + [1] * 1000
    y_pred = [0] * 1000 + [1] * 3 + [1] * 1000
    linear = plot_confusion_matrix(y_true, y_pred, ["a", "b"], normalize=False)
    log = plot_confusion_matrix(y_true, y_pred, ["a", "b"], normalize=False, log_colors=True)
    np.testing.assert_array_equal(log.confusion, [[1000, 3], [0, 1000]])
    lin_img, log_img = (f.axes[0].images[0] for f in (linear, log))
    lin_rgba = lin_img.to_rgba(lin_img.get_array())
    log_rgba = log_img.to_rgba(log_img.get_array())
    empty = np.array(lin_img.to_rgba(0.0))
    assert np.allclose(lin_rgba[0, 1], empty, atol=0.02), "linear: 3 of 1,000 looks empty"
    assert not np.allclose(log_rgba[0, 1], empty, atol=0.1), "log: the 3 mistakes are visible"
    assert np.isnan(np.asarray(log_img.get_array(), dtype=float)[1, 0]), "an empty cell stays blank"


def test_confusion_matrix_counts():
    fig = plot_confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], ["a", "b", "c"])
    np.testing.assert_array_equal(fig.confusion, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    with pytest.raises(ValueError, match="3 labels but y_pred has 2"):
        plot_confusion_matrix([0, 1, 2], [0, 1], ["a", "b", "c"])


def test_save_fig_defaults_write_under_the_git_ignored_output_folder(monkeypatch, fake_root):
    """With no COURSE_* variable set, a figure lands in <root>/output/figures/<notebook>/."""
    monkeypatch.delenv("COURSE_OUTPUT_DIR")
    monkeypatch.delenv("COURSE_FIGURES_DIR")
    fig, ax = plt.subplots(figsize=(1, 1))
    path = save_fig(fig, "x", notebook="01_filter_example")
    assert path == (fake_root / "output" / "figures" / "01_filter_example" / "x.png").resolve()
    assert not (fake_root / "images").exists()
