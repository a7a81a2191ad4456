"""The course's Jupyter kernel "CNN course (.venv)": ``python -m utils.kernel install``.

A fresh kernel that imports TensorFlow prints C++ start-up lines on stderr, shown in red
under the first cell: the absl pre-init warning, oneDNN, "Could not find cuda drivers",
the CPU-instruction note and ``E0000 ... failed call to cuInit``. They say which hardware
the machine has, not that something went wrong. The kernel this module installs hides
them and nothing else:

- its ``env`` sets ``TF_CPP_MIN_LOG_LEVEL=2`` (TensorFlow's C++ INFO and WARNING lines off;
  its errors stay); ``TF_ENABLE_ONEDNN_OPTS`` is left alone (it changes the numerics);
- it loads this module as an IPython extension, which drops the lines above from the
  kernel's stderr. They are written before any setting can reach absl, so no environment
  variable silences them. Every other stderr line (warnings, real TensorFlow errors) is kept.

``make setup`` installs the kernel into ``.venv`` (``--sys-prefix``); ``make lab`` says to pick it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

NAME = "cnn-course"
DISPLAY_NAME = "CNN course (.venv)"
ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}
EXTENSION = "utils.kernel"

_STAMP = r"[IWE]\d{4} \d\d:\d\d:\d+\.\d+\s+\d+ "  # the seconds field can be a Unix time
STARTUP_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rf"|{_STAMP}port\.cc:\d+\] oneDNN custom operations are on\..*"
    rf"|{_STAMP}cudart_stub\.cc:\d+\] .*"
    rf"|{_STAMP}cpu_feature_guard\.cc:\d+\] .*"
    r"|To enable the following instructions: .* in other operations, rebuild TensorFlow .*"
    rf"|{_STAMP}cuda_(platform|executor|diagnostics)\.cc:\d+\] .*(cuInit|kernel driver does not appear|"
    r"retrieving CUDA diagnostic|hostname:|libcuda reported version).*"
    rf"|{_STAMP}cuda_(dnn|fft|blas)\.cc:\d+\] Unable to register .* factory.*"
    r")$"
)


def drop_startup_lines(text: str) -> str:
    """``text`` without TensorFlow's start-up lines (complete lines only; the rest unchanged)."""
    if "] " not in text and "absl::InitializeLog" not in text and "rebuild TensorFlow" not in text:
        return text  # the common case, fast
    lines = text.splitlines(keepends=True)
    return "".join(
        line for line in lines if not (line.endswith("\n") and STARTUP_LINE.match(line.rstrip("\r\n")))
    )


def quiet_stream(stream) -> None:
    """Make ``stream.write`` (the kernel's stderr) drop TensorFlow's start-up lines."""
    if getattr(stream, "_course_quiet", False):
        return
    write = stream.write

    def filtered(text):
        kept = drop_startup_lines(text) if isinstance(text, str) else text
        if not kept:
            return len(text)
        write(kept)
        return len(text)

    stream.write = filtered
    stream._course_quiet = True


def load_ipython_extension(ipython) -> None:  # noqa: ARG001 (IPython's signature)
    """IPython extension hook: ipykernel forwards fd 2 (C++ output) through ``sys.stderr.write``."""
    quiet_stream(sys.stderr)


def kernel_spec(python: str | None = None) -> dict:
    """The kernel.json: this venv's Python, ipykernel, the quiet extension and ``ENV``."""
    return {
        "argv": [
            python or sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            f"--ext={EXTENSION}",
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "env": dict(ENV),
        "metadata": {"debugger": True},
    }


def install(prefix: str | None = None) -> Path:
    """Install the kernel spec under ``<prefix>/share/jupyter/kernels/cnn-course`` (default: this venv)."""
    from ipykernel.kernelspec import install as ipykernel_install

    path = Path(
        ipykernel_install(
            kernel_name=NAME, display_name=DISPLAY_NAME, prefix=prefix or sys.prefix, env=dict(ENV)
        )
    )
    spec = json.loads((path / "kernel.json").read_text())
    spec.update(kernel_spec(spec["argv"][0]))
    (path / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args != ["install"]:
        print("usage: python -m utils.kernel install", file=sys.stderr)
        return 2
    print(f'installed the Jupyter kernel "{DISPLAY_NAME}" ({NAME}) in {install()}')
    return 0


if __name__ == "__main__":
    sys.exit(main())
