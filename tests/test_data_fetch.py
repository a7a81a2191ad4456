"""Lookup order, checksum refusal, atomic downloads and the error a student sees."""

import gzip
import importlib
import io
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest

from utils.data.__main__ import main as cli
from utils.data.fetch import ChecksumError, DataNotFoundError, download, fetch, locate
from utils.data.registry import DATASETS, DataSet, File, Tree, Variant, get_dataset
from utils.io import sha256_file, sha256_files

fetch_mod = importlib.import_module("utils.data.fetch")  # the module; utils.data.fetch is also a function


def _toy(tmp_path, monkeypatch, url=True, keras_cache=None):
    """Register a one-file data set 'toy' whose source file lives in tmp_path/src."""
    src = tmp_path / "src" / "toy.bin"
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(b"toy data " * 100)
    digest = sha256_file(src)
    ds = DataSet(
        "toy",
        "A toy data set",
        "toy",
        (Variant("bin", (File("toy.bin", (digest,), src.as_uri() if url else None),)),),
        keras_cache=keras_cache,
        manual=None if url else "Ask the teacher.",
    )
    monkeypatch.setitem(DATASETS, "toy", ds)
    return src, digest


def _place(folder: Path, src: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / src.name).write_bytes(src.read_bytes())
    return folder


def test_lookup_order_argument_env_repo_cache(tmp_path, monkeypatch, fake_root):
    src, _ = _toy(tmp_path, monkeypatch, keras_cache="toy-cache")
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    cache = _place(tmp_path / "keras_home" / "datasets" / "toy-cache", src)
    assert locate("toy").source == "Keras cache" and locate("toy").path == cache
    repo = _place(fake_root / "data" / "toy", src)
    assert locate("toy").path == repo and locate("toy").source == "repository data/"
    env = _place(tmp_path / "envdata" / "toy", src)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "envdata"))
    assert locate("toy").path == env
    arg = _place(tmp_path / "argdata" / "toy", src)
    assert locate("toy", data_dir=tmp_path / "argdata").path == arg
    plain = _place(tmp_path / "plain", src)  # the argument may also be the data set's folder itself
    assert locate("toy", data_dir=plain).path == plain


def test_missing_offline_fails_fast_with_a_useful_message(tmp_path, monkeypatch, fake_root):
    _toy(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nowhere"))
    t0 = time.perf_counter()
    with pytest.raises(DataNotFoundError) as err:
        locate("toy")
    assert time.perf_counter() - t0 < 1.0
    msg = str(err.value)
    assert "'toy' (A toy data set) not found" in msg
    assert str(tmp_path / "nowhere" / "toy") in msg and str(fake_root / "data" / "toy") in msg
    assert "COURSE_OFFLINE" in msg and "python -m utils.data fetch toy" in msg


def test_real_loader_offline_failure_is_fast_and_named(tmp_path, fake_root, monkeypatch):
    from utils.data import load_mnist

    def no_network(*args, **kwargs):
        raise urllib.error.URLError("[Errno -2] Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    t0 = time.perf_counter()
    with pytest.raises(DataNotFoundError) as err:
        load_mnist()
    assert time.perf_counter() - t0 < 1.0
    msg = str(err.value)
    assert "'mnist'" in msg and "Download failed" in msg and "python -m utils.data fetch mnist" in msg
    assert not list((fake_root / "data").rglob("*.gz")), "a failed download must leave nothing"


def test_manual_data_set_says_how_to_get_it(tmp_path, monkeypatch, fake_root):
    _toy(tmp_path, monkeypatch, url=False)
    with pytest.raises(DataNotFoundError, match="(?s)cannot be downloaded automatically.*Ask the teacher"):
        locate("toy")
    with pytest.raises(DataNotFoundError, match="has no download URL"):
        fetch("toy")


def test_corrupted_file_is_refused_not_read(tmp_path, monkeypatch, fake_root):
    _, digest = _toy(tmp_path, monkeypatch)
    bad = fake_root / "data" / "toy" / "toy.bin"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"tampered")
    with pytest.raises(ChecksumError, match=f"(?s)expected {digest}.*not read.*fetch toy"):
        locate("toy")


def test_corrupted_real_data_is_refused_before_parsing(tmp_path, monkeypatch, fake_root):
    from utils.data import images

    folder = fake_root / "data" / "mnist"
    folder.mkdir(parents=True)
    for item in get_dataset("mnist").variants[0].items:
        with gzip.open(folder / item.path, "wb") as fh:
            fh.write(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07")
    monkeypatch.setattr(images, "read_idx", lambda *a: pytest.fail("a corrupted file was read"))
    with pytest.raises(ChecksumError, match="MNIST"):
        images.load_mnist()


def test_download_is_verified_and_atomic(tmp_path, monkeypatch):
    src, digest = _toy(tmp_path, monkeypatch)
    dest = tmp_path / "dl" / "toy.bin"
    assert download(src.as_uri(), dest, digest, progress=False) == dest
    assert dest.read_bytes() == src.read_bytes()
    other = tmp_path / "dl2" / "toy.bin"
    with pytest.raises(ChecksumError, match="nothing was saved"):
        download(src.as_uri(), other, "0" * 64, progress=False)
    assert list(other.parent.iterdir()) == []


def test_interrupted_download_leaves_nothing(tmp_path, monkeypatch):
    class Broken(io.BytesIO):
        headers = {"Content-Length": "100"}  # noqa: RUF012

        def read(self, n=-1):
            if self.tell() >= 10:
                raise ConnectionResetError("connection dropped")
            return super().read(10)

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Broken(b"x" * 100))
    dest = tmp_path / "dl" / "file.bin"
    with pytest.raises(ConnectionResetError):
        download("https://example.invalid/file.bin", dest, "0" * 64, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_fetch_downloads_into_repo_data_and_unpacks_archives(tmp_path, monkeypatch, fake_root):
    archive = tmp_path / "src" / "pics.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pics/a/1.png", b"one")
        zf.writestr("pics/b/2.png", b"two")
    ds = DataSet(
        "pics",
        "Pictures",
        "pics",
        (Variant("zip", (File("pics.zip", (sha256_file(archive),), archive.as_uri(), unpack=True),)),),
    )
    monkeypatch.setitem(DATASETS, "pics", ds)
    found = locate("pics")  # not on disk: downloaded
    assert found.source == "download" and found.path == fake_root / "data" / "pics"
    assert (found.path / "pics" / "b" / "2.png").read_bytes() == b"two"
    assert locate("pics").source == "repository data/"  # second time: found, not downloaded


def test_tree_items_are_hashed_as_a_whole(tmp_path, monkeypatch):
    root = tmp_path / "tree"
    for rel, data in {
        "rps/rock/a.png": b"1",
        "rps/paper/b.png": b"2",
        "rps-test-set/rock/c.png": b"3",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    order = ["rps-test-set/rock/c.png", "rps/paper/b.png", "rps/rock/a.png"]
    digest = sha256_files(root / p for p in order)
    ds = DataSet("tree", "Tree", "tree", (Variant("png", (Tree(".", "*/*/*.png", (digest,)),)),))
    monkeypatch.setitem(DATASETS, "tree", ds)
    assert locate("tree", data_dir=root).path == root
    (root / "rps/rock/a.png").write_bytes(b"changed")
    with pytest.raises(ChecksumError, match="3 files matching"):
        locate("tree", data_dir=root)


def test_registry_matches_the_offline_checksums(shared_data):
    listed = {}
    for line in (shared_data / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(None, 1)
        listed[name.split(" (")[0].removeprefix("./")] = digest
    checked = 0
    for ds in DATASETS.values():
        for variant in ds.variants:
            for item in variant.items:
                key = f"{ds.subdir}/{item.path}" if isinstance(item, File) else ds.subdir
                if key in listed:
                    assert listed[key] in item.sha256, key
                    checked += 1
    assert checked == len(listed) == 12


def test_registry_entries_are_complete():
    for ds in DATASETS.values():
        assert ds.variants and ds.title and ds.subdir
        for v in ds.variants:
            for item in v.items:
                assert all(len(d) == 64 and int(d, 16) >= 0 for d in item.sha256)
                if isinstance(item, File) and item.url:
                    assert item.url.startswith(("https://", "http://"))
        assert any(v.downloadable for v in ds.variants) or ds.manual
    with pytest.raises(KeyError, match="unknown data set 'eurosat'; known:"):
        get_dataset("eurosat")


def test_cli_list_where_fetch(tmp_path, monkeypatch, fake_root, capsys):
    _toy(tmp_path, monkeypatch)
    assert cli(["list"]) == 0 and "toy" in capsys.readouterr().out
    assert cli(["where", "toy"]) == 1 and "not found" in capsys.readouterr().err
    assert cli(["fetch", "toy"]) == 0
    line = capsys.readouterr().out
    assert line.startswith("toy ") and "0.9 kB" in line and line.rstrip().endswith("verified (downloaded)")
    assert str(fake_root / "data" / "toy") in line
    assert cli(["where", "toy"]) == 0 and "verified" in capsys.readouterr().out
    assert cli(["fetch", "nope"]) == 1 and "unknown data set" in capsys.readouterr().err


def test_tar_archives_are_unpacked_once(tmp_path, monkeypatch, fake_root):
    import tarfile

    archive = tmp_path / "src" / "set.tar.gz"
    archive.parent.mkdir()
    inner = tmp_path / "src" / "train"
    inner.mkdir()
    (inner / "1.png").write_bytes(b"img")
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(inner, arcname="train")
    ds = DataSet(
        "tarset",
        "Tar set",
        "tarset",
        (Variant("tar", (File("set.tar.gz", (sha256_file(archive),), archive.as_uri(), unpack=True),)),),
    )
    monkeypatch.setitem(DATASETS, "tarset", ds)
    found = fetch("tarset")
    assert (found.path / "train" / "1.png").read_bytes() == b"img"
    (found.path / "train" / "1.png").unlink()
    locate("tarset")  # the marker says it was unpacked: not extracted again
    assert not (found.path / "train" / "1.png").exists()


def test_failed_download_is_reported_with_the_reason(tmp_path, monkeypatch, fake_root):
    src, _ = _toy(tmp_path, monkeypatch)
    src.unlink()  # the "server" lost the file
    with pytest.raises(DataNotFoundError, match="(?s)Download failed: .*fetch toy"):
        locate("toy")
    assert not (fake_root / "data" / "toy" / "toy.bin").exists()
    with pytest.raises(DataNotFoundError, match="download=False"):
        locate("toy", download=False)


def test_offline_switch_values(monkeypatch):
    from utils.data.fetch import keras_home, offline

    for value, expected in [("1", True), ("on", True), ("Yes", True), ("0", False), ("", False)]:
        monkeypatch.setenv("COURSE_OFFLINE", value)
        assert offline() is expected
    monkeypatch.setenv("KERAS_HOME", "/somewhere/keras")
    assert str(keras_home()) == "/somewhere/keras"


def test_cli_fetch_all_one_line_each(tmp_path, monkeypatch, fake_root, capsys):
    from utils.data.registry import TFDS_ONLY

    _toy(tmp_path, monkeypatch)
    for name in [n for n in DATASETS if n != "toy"]:
        monkeypatch.delitem(DATASETS, name)
    monkeypatch.setitem(
        DATASETS,
        "hand",
        DataSet(
            "hand",
            "By hand",
            "hand",
            (Variant("x", (File("h.bin", ("0" * 64,)),)),),
            manual="Ask the teacher.",
        ),
    )
    monkeypatch.setitem(
        DATASETS,
        "gone",
        DataSet(
            "gone",
            "Gone",
            "gone",
            (Variant("x", (File("g.bin", ("0" * 64,), (tmp_path / "nope").as_uri()),)),),
        ),
    )
    assert cli(["fetch", "--all"]) == 1  # one failed download
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3 + len(TFDS_ONLY)
    assert out[0].startswith("toy ") and out[0].endswith("verified (downloaded)")
    assert out[1].startswith("hand ") and "not downloadable: Ask the teacher." in out[1]
    assert out[2].startswith("gone ") and "FAILED" in out[2] and "fetch gone" in out[2]
    assert cli(["fetch", "--all"]) == 1
    assert capsys.readouterr().out.splitlines()[0].endswith("verified (already in repository data/)")


def test_mirror_replaces_the_host_of_http_urls(monkeypatch):
    mod = fetch_mod
    url = "https://raw.githubusercontent.com/o/r/abc/%5EGSPC.csv"
    assert mod.source_url(url) == url
    monkeypatch.setenv("COURSE_DATA_MIRROR", "http://127.0.0.1:8000/m/")
    assert mod.source_url(url) == "http://127.0.0.1:8000/m/raw.githubusercontent.com/o/r/abc/%5EGSPC.csv"
    assert mod.source_url("file:///tmp/x.bin") == "file:///tmp/x.bin"
    monkeypatch.setattr(mod, "MIRROR", "http://other")
    assert mod.source_url(url).startswith("http://other/raw.githubusercontent.com/")


def test_short_response_is_an_incomplete_download_and_leaves_nothing(tmp_path, monkeypatch):
    mod = fetch_mod

    class Short(io.BytesIO):
        headers = {"Content-Length": "100"}  # noqa: RUF012

    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: Short(b"x" * 40))
    dest = tmp_path / "dl" / "file.bin"
    with pytest.raises(mod.IncompleteDownloadError, match="after 40 of 100 bytes"):
        download("https://example.invalid/file.bin", dest, "0" * 64, progress=False)
    assert list(dest.parent.iterdir()) == []


def test_broken_connection_is_tried_again_from_the_start(tmp_path, monkeypatch, fake_root):
    mod = fetch_mod
    src, _ = _toy(tmp_path, monkeypatch)
    payload, calls = src.read_bytes(), []

    class Flaky(io.BytesIO):
        headers = {"Content-Length": str(len(payload))}  # noqa: RUF012

    def urlopen(url, timeout):
        calls.append(url)
        return Flaky(payload[:10] if len(calls) == 1 else payload)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    monkeypatch.setattr(mod, "RETRY_WAIT", 0.0)
    found = fetch("toy", progress=False)
    assert len(calls) == 2 and (found.path / "toy.bin").read_bytes() == payload
    assert [p.name for p in found.path.iterdir()] == ["toy.bin"]


def test_stock_data_sets_download_from_pinned_commits():
    stocks = get_dataset("sp500_stocks").variants[0].items[0]
    assert stocks.parts and stocks.url.startswith(
        "https://raw.githubusercontent.com/CNuge/kaggle-code/f1109438d6cfb3ffdaa7d4480437cfbaaedd3236/"
    )
    index = get_dataset("sp500_index").variants[0].items[0]
    assert index.url == (
        "https://raw.githubusercontent.com/fja05680/stock_market_calendar/"
        "7041e86bf1f3a18c7b0a24a2fbb27031dc1388c5/%5EGSPC.csv"
    )
    for name in DATASETS:
        assert get_dataset(name).size.startswith("about ")
