"""The course kernel "CNN course (.venv)" hides TensorFlow's start-up lines and nothing else."""

import io
import json
import re
from pathlib import Path

from utils import kernel

REPO = Path(__file__).resolve().parents[1]

# what `import tensorflow as tf; tf.constant(1)` printed on stderr here (TF 2.21, no GPU)
STARTUP = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796264412.089330    7021 port.cc:153] oneDNN custom operations are on. You may see "
    "slightly different numerical results due to floating-point round-off errors from different "
    "computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n"
    "I0000 00:00:1796264412.089890    7021 cudart_stub.cc:31] Could not find cuda drivers on your "
    "machine, GPU will not be used.\n"
    "I0000 00:00:1796264412.142841    7021 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 AVX512F AVX512_VNNI AVX512_BF16 FMA, in other "
    "operations, rebuild TensorFlow with the appropriate compiler flags.\n"
    "E0000 00:00:1796264417.531059    7021 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
)
REAL = (
    "/tmp/x.py:3: UserWarning: something real\n"
    "E0000 00:00:1796264417.531059    7021 op_kernel.cc:1857] OP_REQUIRES failed at conv_ops.cc:12 : "
    "INVALID_ARGUMENT: input depth must be evenly divisible by filter depth\n"
    "W0000 00:00:1796264417.531059    7021 data_adapter.cc:1] a real TensorFlow warning\n"
)


def test_startup_lines_go_real_errors_and_warnings_stay():
    assert kernel.drop_startup_lines(STARTUP) == ""
    assert kernel.drop_startup_lines(STARTUP + REAL) == REAL
    assert (
        kernel.drop_startup_lines("partial line without newline port.cc:153] oneDNN")
        == "partial line without newline port.cc:153] oneDNN"
    )
    assert kernel.drop_startup_lines("plain text\n") == "plain text\n"


def test_quiet_stream_filters_what_is_written_and_reports_the_full_length():
    out = io.StringIO()
    kernel.quiet_stream(out)
    kernel.quiet_stream(out)  # twice is harmless
    assert out.write(STARTUP) == len(STARTUP)
    out.write(REAL)
    assert out.getvalue() == REAL


def test_kernel_spec_runs_this_python_with_the_extension_and_quiet_env():
    spec = kernel.kernel_spec("/x/.venv/bin/python")
    assert spec["argv"][:3] == ["/x/.venv/bin/python", "-m", "ipykernel_launcher"]
    assert "{connection_file}" in spec["argv"] and "--ext=utils.kernel" in spec["argv"]
    assert spec["display_name"] == "CNN course (.venv)"
    assert spec["env"] == {"TF_CPP_MIN_LOG_LEVEL": "2"}
    assert "TF_ENABLE_ONEDNN_OPTS" not in spec["env"]  # it would change the numerics


def test_install_writes_the_kernel_spec_under_the_prefix(tmp_path, capsys):
    path = kernel.install(prefix=str(tmp_path))
    assert path == tmp_path / "share" / "jupyter" / "kernels" / "cnn-course"
    spec = json.loads((path / "kernel.json").read_text())
    assert spec["argv"][-1] == "--ext=utils.kernel" and spec["env"]["TF_CPP_MIN_LOG_LEVEL"] == "2"
    assert kernel.main(["bogus"]) == 2


def test_makefile_installs_the_kernel_and_lab_names_it():
    make = (REPO / "Makefile").read_text()
    assert "$(BIN)/python -m utils.kernel install" in make
    lab = make.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    assert kernel.DISPLAY_NAME in lab and "--allow-root" in lab and re.search(r"id -u", lab)
