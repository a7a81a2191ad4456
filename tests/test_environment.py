"""The environment files agree with each other, and the repository follows the course layout."""

import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*-?\s*([A-Za-z0-9_.\-\[\]]+)==([^\s#]+)")


def _pins(lines):
    out = {}
    for line in lines:
        m = PIN.match(line)
        if m:
            out[m.group(1).lower()] = m.group(2)
    return out


def test_requirements_in_and_environment_yml_pin_the_same_versions():
    top = _pins((REPO / "requirements.in").read_text(encoding="utf-8").splitlines())
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert _pins(pip_section) == top
    assert "conda-forge" in env["channels"]
    # every entry of environment.yml carries a comment saying which notebook needs it
    raw = (REPO / "environment.yml").read_text(encoding="utf-8").split("dependencies:", 1)[1].splitlines()
    entries = [
        line for line in raw if line.strip().startswith("- ") and not line.strip().startswith("- pip:")
    ]
    assert entries and all("#" in line for line in entries), [e for e in entries if "#" not in e]


def test_lock_file_pins_everything_and_agrees_with_the_top_level():
    top = _pins((REPO / "requirements.in").read_text(encoding="utf-8").splitlines())
    lines = [
        line
        for line in (REPO / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    lock = _pins(lines)
    assert len(lock) == len(lines), "every line of requirements.txt must be an exact pin"
    for name, version in top.items():
        assert lock.get(name) == version, name


def test_utils_declares_lower_bounds_only():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    deps = re.search(r"dependencies = \[(.*?)\]", text, re.S).group(1)
    assert "==" not in deps and ">=" in deps


def test_layout():
    for path in [
        "notebooks",
        "notebooks/exercises",
        "utils",
        "data",
        "images",
        "tests",
        "environment.yml",
        "README.md",
        "pyproject.toml",
        "Makefile",
        ".ci/run",
    ]:
        assert (REPO / path).exists(), path
    ci = (REPO / ".ci/run").read_text(encoding="utf-8")
    assert "make setup" in ci and "make test" in ci
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "make setup" in readme and "make test" in readme


def _version(text):
    return tuple(int(x) for x in text.split("."))


def test_python_version_agrees_in_pyproject_environment_yml_and_readme():
    pyproject = re.search(
        r'^requires-python = ">=([\d.]+)"', (REPO / "pyproject.toml").read_text(encoding="utf-8"), re.M
    )
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda_python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    readme = (
        (REPO / "README.md").read_text(encoding="utf-8").split("## Two commands", 1)[1].split("\n## ", 1)[0]
    )
    claimed = re.search(r"needs: Python ([\d.]+) and `make`", readme)
    assert pyproject and claimed, "pyproject requires-python and the README's Python version"
    assert (
        _version(pyproject.group(1)) == _version(conda_python.split("=", 1)[1]) == _version(claimed.group(1))
    )


# import name -> distribution, where they differ
IMPORT_TO_DIST = {
    "PIL": "pillow",
    "sklearn": "scikit-learn",
    "talib": "ta-lib",
    "alphalens": "alphalens-reloaded",
    "absl": "absl-py",
    "yaml": "pyyaml",
    "tensorflow_datasets": "tensorflow-datasets",
}


def _imports(folder):
    import ast
    import sys

    found = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in ("utils", "__future__"):
                    found.setdefault(top, path.relative_to(REPO).as_posix())
    return found


def test_every_package_utils_imports_is_declared_in_pyproject():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    deps = re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1)
    declared = {re.split(r"[<>=\[ ]", d, 1)[0].lower() for d in re.findall(r'"([^"]+)"', deps)}
    missing = {
        top: where
        for top, where in _imports(REPO / "utils").items()
        if IMPORT_TO_DIST.get(top, top).lower().replace("_", "-") not in declared
    }
    assert not missing, f"imported by utils but not in pyproject.toml dependencies: {missing}"


def test_pyproject_license_is_an_spdx_string():
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "MIT"$', text, re.M)
    assert re.search(r'"setuptools>=(7[7-9]|[89]\d)', text), "SPDX license strings need setuptools>=77"


def test_makefile_gpu_setup_has_its_own_stamp():
    make = (REPO / "Makefile").read_text(encoding="utf-8")
    setup = re.search(r"^setup: (.*)$", make, re.M).group(1)
    assert "$(if $(GPU),$(VENV)/.installed-gpu)" in setup
    gpu_rule = make.split("$(VENV)/.installed-gpu: $(VENV)/.installed\n", 1)[1].split("\n\n", 1)[0]
    assert "tensorflow[and-cuda]" in gpu_rule and "touch $@" in gpu_rule
    cpu_rule = make.split("$(VENV)/.installed: requirements.txt pyproject.toml\n", 1)[1].split("\n\n", 1)[0]
    assert "and-cuda" not in cpu_rule
    assert "COURSE_FIGURES_DIR=" in make and "COURSE_IMAGES_DIR" not in make


def _recipe(target: str) -> list[str]:
    """The command lines of a Makefile target's recipe."""
    lines = (REPO / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_make_test_checks_data_and_style_before_running_anything():
    recipe = _recipe("test")
    assert "utils.data check" in recipe[0], "the data check comes first and fails fast"
    assert any("lint" in line for line in recipe), "make test runs make lint"
    pytest_line = next(i for i, line in enumerate(recipe) if "pytest" in line)
    lint_line = next(i for i, line in enumerate(recipe) if "lint" in line)
    assert lint_line < pytest_line


def test_make_lint_runs_ruff_and_checks_lessons():
    recipe = " ".join(_recipe("lint"))
    assert "ruff check" in recipe and "ruff format --check" in recipe and "utils.nbsave --check" in recipe
