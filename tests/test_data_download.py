"""Real downloads from a local HTTP server that serves the offline copies as the original hosts do.

The server's folder is laid out as ``<mirror>/<host>/<path>`` and ``COURSE_DATA_MIRROR``
points the downloads at it, so the registry's real URLs, digests and loaders are used.
The 505 per-ticker stock files are rebuilt from ``all_stocks_5yr.csv`` (each ticker's
rows in file order, the header in front): they must match the published digests.
"""

from __future__ import annotations

import functools
import http.server
import importlib
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from utils.data import (
    load_fashion_mnist,
    load_mnist,
    load_sp500_index,
    load_stock_prices,
)
from utils.data.__main__ import main as cli
from utils.data.fetch import ChecksumError, fetch, parts_dir, read_parts
from utils.data.registry import DATASETS, TFDS_ONLY, get_dataset
from utils.io import sha256_file

fetch_mod = importlib.import_module("utils.data.fetch")  # the module (utils.data.fetch is also a function)
REPO = Path(__file__).resolve().parents[1]
LOADERS = {
    "mnist": lambda: load_mnist()[0][0].shape == (60000, 28, 28),
    "fashion_mnist": lambda: load_fashion_mnist()[1][0].shape == (10000, 28, 28),
    "sp500_stocks": lambda: load_stock_prices().shape == (619040, 5),
    "sp500_index": lambda: load_sp500_index().shape == (24114, 6),
}


def _shared_data() -> Path | None:
    env = os.environ.get("COURSE_DATA_DIR")  # read before the autouse fixture clears it
    for folder in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if (folder / "SHA256SUMS").is_file():
            return folder
    return None


SHARED = _shared_data()


def _mirror_path(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return parts.netloc + urllib.parse.unquote(parts.path)


def _split_stocks(csv: Path, out: Path) -> dict[str, str]:
    """Split all_stocks_5yr.csv into <TICKER>_data.csv blocks; return {file name: sha256}."""
    lines = csv.read_bytes().splitlines(keepends=True)
    header, blocks = lines[0], {}
    for line in lines[1:]:
        ticker = line.rstrip(b"\r\n").rsplit(b",", 1)[1].decode()
        blocks.setdefault(ticker, []).append(line)
    out.mkdir(parents=True, exist_ok=True)
    for ticker, rows in blocks.items():
        (out / f"{ticker}_data.csv").write_bytes(header + b"".join(rows))
    return {p.name: sha256_file(p) for p in out.iterdir()}


@pytest.fixture(scope="module")
def mirror_dir(tmp_path_factory):
    """A folder laid out like the original hosts, for every downloadable file found offline."""
    if SHARED is None:
        pytest.skip("offline data copies not found (../shared/data or $COURSE_DATA_DIR)")
    root = tmp_path_factory.mktemp("mirror")
    served = set()
    for ds in DATASETS.values():
        for variant in ds.variants:
            if not variant.downloadable:
                continue
            for item in variant.items:
                local = SHARED / ds.subdir / item.path
                if not local.is_file():
                    continue
                if item.parts:
                    digests = _split_stocks(local, root / _mirror_path(item.url))
                    published = {name: d for d, name in read_parts(item.parts)}
                    assert digests == published  # all 505 pieces byte-identical to upstream
                else:
                    target = root / _mirror_path(item.url)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.symlink_to(local)
                served.add(ds.name)
    return root, served


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves the mirror folder; can break off or corrupt chosen files."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        server = self.server
        path = urllib.parse.unquote(self.path)
        server.requests.append(path)
        name = path.rsplit("/", 1)[-1]
        if name in server.cut_once:
            server.cut_once.discard(name)
            data = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if name in server.corrupt:
            data = bytearray(Path(self.translate_path(self.path)).read_bytes())
            data[len(data) // 2] ^= 0xFF
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(bytes(data))
            return
        super().do_GET()


@pytest.fixture
def server(mirror_dir, monkeypatch, fake_root):
    root, served = mirror_dir
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    httpd.requests, httpd.cut_once, httpd.corrupt, httpd.served = [], set(), set(), served
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("COURSE_DATA_MIRROR", f"http://127.0.0.1:{httpd.server_address[1]}")
    monkeypatch.setattr(fetch_mod, "RETRY_WAIT", 0.0)
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob(".*.part"))


def test_every_download_with_an_offline_copy_downloads_verifies_and_loads(server, fake_root, monkeypatch):
    assert {"mnist", "fashion_mnist", "sp500_stocks", "sp500_index"} <= server.served
    for name in sorted(server.served):
        found = fetch(name, progress=False)
        assert found.path == fake_root / "data" / get_dataset(name).subdir
        for item in found.variant.items:
            assert sha256_file(found.path / item.path) in item.sha256
            if item.parts:  # the pieces are dropped once the joined file is verified
                assert not parts_dir(found.path, item).exists()
    assert len([r for r in server.requests if r.endswith("_data.csv")]) == 505
    assert _leftovers(fake_root / "data") == []
    monkeypatch.setenv("COURSE_OFFLINE", "1")  # the loaders now find them in data/, no network
    for name in sorted(server.served):
        assert LOADERS[name](), name


def test_corrupted_download_is_refused_and_leaves_nothing(server, fake_root):
    server.corrupt.add("^GSPC.csv")
    with pytest.raises(ChecksumError, match="nothing was saved"):
        fetch("sp500_index", progress=False)
    assert list((fake_root / "data" / "stocks" / "sp500_index").iterdir()) == []
    server.corrupt.add("MSFT_data.csv")
    with pytest.raises(ChecksumError, match="MSFT_data.csv has SHA-256"):
        fetch("sp500_stocks", progress=False)
    folder = fake_root / "data" / "stocks" / "sp500_5yr"
    assert not (folder / "all_stocks_5yr.csv").exists() and _leftovers(folder) == []
    assert not (folder / "individual_stocks_5yr" / "MSFT_data.csv").exists()


def test_broken_off_download_is_restarted(server, fake_root):
    server.cut_once.update({"^GSPC.csv", "AAPL_data.csv"})
    fetch("sp500_index", progress=False)
    assert (
        server.requests.count(
            "/raw.githubusercontent.com/fja05680/stock_market_calendar/"
            "7041e86bf1f3a18c7b0a24a2fbb27031dc1388c5/^GSPC.csv"
        )
        == 2
    )
    fetch("sp500_stocks", progress=False)
    assert len([r for r in server.requests if r.endswith("/AAPL_data.csv")]) == 2
    assert _leftovers(fake_root / "data") == []


def test_broken_off_download_gives_up_after_the_last_try(server, fake_root, monkeypatch):
    monkeypatch.setattr(fetch_mod, "ATTEMPTS", 1)
    server.cut_once.add("^GSPC.csv")
    with pytest.raises(fetch_mod.IncompleteDownloadError, match="broke off after"):
        fetch("sp500_index", progress=False)
    assert list((fake_root / "data" / "stocks" / "sp500_index").iterdir()) == []


def test_stopped_stock_download_resumes(server, fake_root, mirror_dir):
    root, _ = mirror_dir
    item = get_dataset("sp500_stocks").variants[0].items[0]
    source = root / _mirror_path(item.url)
    pieces = parts_dir(fake_root / "data" / "stocks" / "sp500_5yr", item)
    pieces.mkdir(parents=True)
    names = [name for _, name in read_parts(item.parts)]
    for name in names[:100]:  # a first run got this far...
        (pieces / name).write_bytes((source / name).read_bytes())
    half = (source / names[100]).read_bytes()
    (pieces / names[100]).write_bytes(half[: len(half) // 2])  # ...and left a partial file
    fetch("sp500_stocks", progress=False)
    asked = [r.rsplit("/", 1)[1] for r in server.requests]
    assert asked == names[100:]  # the 100 verified pieces were kept, the partial one re-fetched
    assert not pieces.exists()


def test_fetch_all_prints_one_line_per_data_set(server, fake_root, capsys, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(SHARED))
    status = cli(["fetch", "--all"])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(DATASETS) + len(TFDS_ONLY)
    for name in [*DATASETS, *TFDS_ONLY]:
        assert len([line for line in out if line.split()[0] == name]) == 1, name
    by_name = {line.split()[0]: line for line in out}
    for name in (
        "mnist",
        "fashion_mnist",
        "cifar10",
        "sp500_stocks",
        "sp500_index",
        "rock_paper_scissors_28px",
    ):
        assert by_name[name].endswith("verified (already in $COURSE_DATA_DIR)"), by_name[name]
        assert str(SHARED) in by_name[name] and " MB " in by_name[name]
    # not on the local server: HTTP 404, reported on one line with the command to try again
    assert "FAILED" in by_name["svhn"] and "fetch svhn" in by_name["svhn"]
    assert "tfds.load('cats_vs_dogs')" in by_name["cats_vs_dogs"]
    assert status == 1


def test_fetch_all_downloads_what_is_missing(server, fake_root, capsys, monkeypatch):
    for name in list(DATASETS):
        if name not in ("sp500_index", "rock_paper_scissors_28px"):
            monkeypatch.delitem(DATASETS, name)
    assert cli(["fetch", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    index = next(line for line in lines if line.startswith("sp500_index"))
    assert "2.5 MB" in index and str(fake_root / "data" / "stocks" / "sp500_index") in index
    assert index.endswith("verified (downloaded)")
    assert "not downloadable" in next(line for line in lines if line.startswith("rock_paper_scissors_28px"))


def _preflight(env_extra: dict, tmp_path: Path, timeout: float = 60):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    env.update(KERAS_HOME=str(tmp_path / "keras_home"), HOME=str(tmp_path / "home"), **env_extra)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "utils.data", "check"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return proc, time.perf_counter() - t0


def test_preflight_offline_with_no_data_stops_at_once_with_one_message(tmp_path, fake_root):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc, seconds = _preflight(
        {"COURSE_DATA_DIR": str(empty), "COURSE_OFFLINE": "1", "COURSE_ROOT": str(fake_root)}, tmp_path
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert seconds < 20  # about 1 s on an idle machine: Python start-up, no hashing, no network
    msg = proc.stderr
    assert msg.count("Data check failed") == 1 and "Traceback" not in msg
    for name in ("mnist", "fashion_mnist", "cifar10", "rock_paper_scissors", "sp500_stocks", "sp500_index"):
        assert f"python -m utils.data fetch {name}\n" in msg
    for absent in ("svhn", "cats_vs_dogs", "eurosat"):  # offline stand-ins exist: not required
        assert absent not in msg
    assert "about 30 MB" in msg and "make data" in msg and "COURSE_DATA_DIR" in msg
    assert len(msg.strip().splitlines()) == 8
    assert not any((fake_root / "data").iterdir())


def test_preflight_passes_on_the_offline_copies(tmp_path, fake_root):
    if SHARED is None:
        pytest.skip("offline data copies not found (../shared/data or $COURSE_DATA_DIR)")
    proc, _ = _preflight(
        {"COURSE_DATA_DIR": str(SHARED), "COURSE_OFFLINE": "1", "COURSE_ROOT": str(fake_root)}, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "all 6 data sets the notebooks need are present and verified" in proc.stdout
    assert proc.stderr == ""


def test_preflight_online_downloads_what_is_missing(server, fake_root, monkeypatch, capsys):
    from utils.data import preflight

    monkeypatch.setattr(preflight, "NEEDS", (preflight.Need(("sp500_index",), "00"),))
    assert preflight.main() == 0
    assert (fake_root / "data" / "stocks" / "sp500_index" / "GSPC.csv").is_file()
    assert "present and verified" in capsys.readouterr().out


def test_preflight_names_a_corrupted_file(fake_root, monkeypatch, capsys):
    from utils.data import preflight

    bad = fake_root / "data" / "stocks" / "sp500_index" / "GSPC.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text("Date,Open\n")
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(preflight, "NEEDS", (preflight.Need(("sp500_index",), "00"),))
    assert preflight.main() == 1
    err = capsys.readouterr().err
    assert f"wrong SHA-256 in {bad}: delete it, then: python -m utils.data fetch sp500_index" in err


def test_package_copy_of_the_piece_digests_matches_the_offline_list():
    if SHARED is None:
        pytest.skip("offline data copies not found (../shared/data or $COURSE_DATA_DIR)")
    shipped = (REPO / "utils" / "data" / "individual_stocks_5yr.SHA256SUMS").read_bytes()
    assert shipped == (SHARED / "stocks" / "sp500_5yr" / "individual_stocks_5yr.SHA256SUMS").read_bytes()
    names = [name for _, name in read_parts("individual_stocks_5yr.SHA256SUMS")]
    assert len(names) == 505 and names[:3] == ["AAL_data.csv", "AAPL_data.csv", "AAP_data.csv"]
