"""Find a data set on disk, verify it, or download it.

Lookup order (the first location holding a complete variant wins):

1. the ``data_dir`` argument (the folder itself, or ``data_dir/<subdir>``);
2. ``$COURSE_DATA_DIR/<subdir>`` (CI points it at ``../shared/data``);
3. the repository's ``data/<subdir>`` (where downloads go);
4. the Keras cache ``$KERAS_HOME/datasets/<name>`` (``~/.keras/datasets``) where Keras keeps
   the same files;
5. a download into the repository's ``data/<subdir>``, unless ``COURSE_OFFLINE=1``.

Every file is checked against the SHA-256 digests of :mod:`utils.data.registry` before
it is read; a file with another digest is refused. Downloads are written atomically
(a temporary file renamed on success): a stopped or corrupted download leaves nothing
behind. A download cut off by the server is tried again (``ATTEMPTS`` times in all).

Downloads can come from a mirror instead of the original hosts: set ``COURSE_DATA_MIRROR``
(or :data:`MIRROR`) to a base URL; ``https://host/path`` is then fetched from
``<mirror>/host/path``. The tests serve files from a local server this way.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..io import atomic_path, sha256_file, sha256_files
from ..paths import repo_root
from .registry import DataSet, File, Tree, Variant, get_dataset

DOWNLOAD_TIMEOUT = 30  # seconds without data before a download is given up
ATTEMPTS = 3  # tries of one file when the connection breaks off (not on a checksum error)
RETRY_WAIT = 2.0  # seconds before the next try (doubled each time)
MIRROR: str | None = None  # a base URL that replaces the original hosts; else $COURSE_DATA_MIRROR


class DataNotFoundError(FileNotFoundError):
    """A data set is in none of the places looked in, and could not be downloaded."""


class ChecksumError(ValueError):
    """A file's SHA-256 is not one of the registered digests: corrupted or wrong version."""


class IncompleteDownloadError(ConnectionError):
    """The connection ended before the whole file arrived."""


@dataclass(frozen=True)
class Located:
    dataset: DataSet
    variant: Variant
    path: Path  # the data set's folder
    source: str  # which lookup step found it


def keras_home() -> Path:
    """Keras' own folder: ``$KERAS_HOME`` (default ``~/.keras``).

    Data sets are in datasets/, weights in models/.
    """
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras").expanduser()


def candidate_dirs(ds: DataSet, data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The folders looked in for ``ds``, in order, each with a label saying why."""
    out: list[tuple[str, Path]] = []
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        out += [("argument data_dir", base / ds.subdir), ("argument data_dir", base)]
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        out.append(("$COURSE_DATA_DIR", Path(env).expanduser() / ds.subdir))
    try:
        out.append(("repository data/", repo_root() / "data" / ds.subdir))
    except RuntimeError:
        pass
    if ds.keras_cache:
        out.append(("Keras cache", keras_home() / "datasets" / ds.keras_cache))
    return out


def _tree_files(folder: Path, item: Tree) -> list[Path]:
    root = folder / item.path
    return sorted(root.glob(item.pattern), key=lambda p: p.relative_to(root).as_posix())


def _present(folder: Path, variant: Variant) -> bool:
    for item in variant.items:
        if isinstance(item, Tree):
            if not _tree_files(folder, item):
                return False
        elif not (folder / item.path).is_file():
            return False
    return True


def verify(folder: Path, variant: Variant, ds: DataSet) -> None:
    """Check every item of ``variant`` in ``folder``; raise :class:`ChecksumError` on a mismatch."""
    for item in variant.items:
        if isinstance(item, Tree):
            files = _tree_files(folder, item)
            digest = sha256_files(files)
            where = f"{folder / item.path} ({len(files)} files matching {item.pattern})"
        else:
            digest = sha256_file(folder / item.path)
            where = str(folder / item.path)
        if digest not in item.sha256:
            raise ChecksumError(
                f"{ds.title}: {where} has SHA-256 {digest}, expected "
                f"{' or '.join(item.sha256)}. The file is corrupted or not the expected "
                f"version, so it was not read. Delete it and fetch it again: {ds.fetch_command}"
            )
        if isinstance(item, File) and item.unpack:
            _ensure_unpacked(folder / item.path)


def _ensure_unpacked(archive: Path) -> None:
    """Extract ``archive`` next to itself once; a marker file records a finished extraction."""
    marker = archive.with_name(f".{archive.name}.unpacked")
    if marker.exists():
        return
    with tempfile.TemporaryDirectory(dir=archive.parent, prefix=".unpack-") as tmp:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(tmp, filter="data")
        for entry in Path(tmp).iterdir():
            if entry.name.startswith("__MACOSX"):
                continue
            dest = archive.parent / entry.name
            if dest.exists():
                shutil.rmtree(dest) if dest.is_dir() else dest.unlink()
            os.replace(entry, dest)
    marker.touch()


def source_url(url: str) -> str:
    """``url``, or its copy on the mirror (:data:`MIRROR` or ``$COURSE_DATA_MIRROR``) if one is set."""
    mirror = MIRROR or os.environ.get("COURSE_DATA_MIRROR")
    parts = urllib.parse.urlsplit(url)
    if not mirror or parts.scheme not in ("http", "https"):
        return url
    return f"{mirror.rstrip('/')}/{parts.netloc}{parts.path}"


def download(
    url: str,
    dest: str | os.PathLike,
    sha256: tuple[str, ...] | str,
    timeout: float = DOWNLOAD_TIMEOUT,
    progress: bool = True,
) -> Path:
    """Download ``url`` to ``dest`` atomically and verify its SHA-256.

    The bytes go to a temporary file beside ``dest``; only when the download is complete
    and its digest is one of ``sha256`` is it renamed to ``dest``. A failed, interrupted
    or corrupted download leaves nothing behind. A connection that ends early raises
    :class:`IncompleteDownloadError`.
    """
    accepted = (sha256,) if isinstance(sha256, str) else tuple(sha256)
    dest = Path(dest)
    with atomic_path(dest) as tmp:
        digest = hashlib.sha256()
        received = 0
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(tmp, "wb") as out:
                total = int(response.headers.get("Content-Length") or 0) or None
                bar = None
                if progress:
                    from tqdm.auto import tqdm

                    bar = tqdm(total=total, unit="B", unit_scale=True, desc=dest.name, leave=False)
                try:
                    for chunk in iter(lambda: response.read(1 << 20), b""):
                        out.write(chunk)
                        digest.update(chunk)
                        received += len(chunk)
                        if bar is not None:
                            bar.update(len(chunk))
                finally:
                    if bar is not None:
                        bar.close()
        except http.client.HTTPException as exc:  # IncompleteRead and friends are no OSError
            raise IncompleteDownloadError(f"download of {url} broke off: {exc!r}") from exc
        if total is not None and received < total:
            raise IncompleteDownloadError(
                f"download of {url} broke off after {received:,} of {total:,} bytes; nothing was saved"
            )
        if digest.hexdigest() not in accepted:
            raise ChecksumError(
                f"download of {url} has SHA-256 {digest.hexdigest()}, expected "
                f"{' or '.join(accepted)}; nothing was saved"
            )
    return dest


def _download_retrying(url: str, dest: Path, sha256: tuple[str, ...], progress: bool = True) -> Path:
    """:func:`download`, tried again from the start when the connection breaks off."""
    wait = RETRY_WAIT
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return download(url, dest, sha256, progress=progress)
        except urllib.error.URLError:
            raise  # no such host, HTTP 404, refused connection: trying again will not help
        except (ConnectionError, TimeoutError):
            if attempt == ATTEMPTS:
                raise
            time.sleep(wait)
            wait *= 2
    raise AssertionError("unreachable")


def _verified(path: Path, sha256: tuple[str, ...]) -> bool:
    return path.is_file() and sha256_file(path) in sha256


def read_parts(parts: str) -> list[tuple[str, str]]:
    """``(sha256, file name)`` of every piece in the list ``parts`` shipped with this package,
    in C-locale (byte) order of the file names."""
    rows = []
    for line in (Path(__file__).with_name(parts)).read_text().splitlines():
        if line.strip():
            digest, name = line.split(None, 1)
            rows.append((digest, name.strip().lstrip("*")))
    return sorted(rows, key=lambda row: row[1].encode())


def parts_dir(folder: Path, item: File) -> Path:
    """Where the pieces of ``item`` are kept until the joined file is verified."""
    return folder / Path(item.parts).stem


def _fetch_parts(ds: DataSet, item: File, folder: Path, progress: bool = True) -> None:
    """Download the pieces of ``item`` (keeping those already here and verified), join them
    under one header, check the result and write it atomically; then drop the pieces."""
    pieces = read_parts(item.parts)
    where = parts_dir(folder, item)
    have = [name for digest, name in pieces if _verified(where / name, (digest,))]
    todo = [(digest, name) for digest, name in pieces if name not in set(have)]
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(pieces), initial=len(have), unit="file", desc=f"{ds.name} files", leave=False)
    try:
        for digest, name in todo:
            _download_retrying(
                source_url(item.url + urllib.parse.quote(name)), where / name, (digest,), progress=False
            )
            if bar is not None:
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    target = folder / item.path
    with atomic_path(target) as tmp:
        digest = hashlib.sha256()
        with open(tmp, "wb") as out:
            for i, (_, name) in enumerate(pieces):
                data = (where / name).read_bytes()
                if i:  # the header line once, then each file's rows (as merge.sh does)
                    data = data.split(b"\n", 1)[1] if b"\n" in data else b""
                out.write(data)
                digest.update(data)
        if digest.hexdigest() not in item.sha256:
            raise ChecksumError(
                f"{ds.title}: the {len(pieces)} files joined have SHA-256 {digest.hexdigest()}, "
                f"expected {' or '.join(item.sha256)}; nothing was saved"
            )
    shutil.rmtree(where, ignore_errors=True)


def offline() -> bool:
    """``COURSE_OFFLINE`` set to 1 / true / yes / on: never touch the network."""
    return os.environ.get("COURSE_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def fetch(ds: DataSet | str, dest_root: str | os.PathLike | None = None, progress: bool = True) -> Located:
    """Download the first downloadable variant of ``ds`` into ``<dest_root>/<subdir>``.

    Files already there and verified are kept; the others are downloaded (atomically,
    checked against SHA-256). A data set built from pieces resumes where it stopped.
    """
    ds = get_dataset(ds) if isinstance(ds, str) else ds
    variants = [v for v in ds.variants if v.downloadable]
    if not variants:
        raise DataNotFoundError(f"{ds.title} has no download URL. {ds.manual or ''}".strip())
    variant = variants[0]
    folder = Path(dest_root or repo_root() / "data") / ds.subdir
    for item in variant.items:
        target = folder / item.path
        if _verified(target, item.sha256):
            continue
        if item.parts:
            _fetch_parts(ds, item, folder, progress=progress)
        else:
            _download_retrying(source_url(item.url), target, item.sha256, progress=progress)
    verify(folder, variant, ds)
    return Located(ds, variant, folder, "download")


def locate(name: str, data_dir: str | os.PathLike | None = None, download: bool = True) -> Located:
    """Find (or download) data set ``name`` and verify it. See the module doc for the order."""
    ds = get_dataset(name)
    looked: list[str] = []
    for label, folder in candidate_dirs(ds, data_dir):
        for variant in ds.variants:
            if _present(folder, variant):
                verify(folder, variant, ds)
                return Located(ds, variant, folder, label)
        looked.append(f"  - {label}: {folder}")
    why = ""
    if not download:
        why = "Download not attempted (download=False)."
    elif offline():
        why = "Download not attempted (COURSE_OFFLINE is set)."
    elif any(v.downloadable for v in ds.variants):
        try:
            return fetch(ds)
        except (OSError, ChecksumError) as exc:  # URLError is an OSError
            why = f"Download failed: {exc}."
    else:
        why = "It cannot be downloaded automatically."
    how = (
        f"To fetch it (needs internet): {ds.fetch_command}"
        if any(v.downloadable for v in ds.variants)
        else f"To get it: {ds.manual}"
    )
    raise DataNotFoundError(
        f"Data set {ds.name!r} ({ds.title}) not found.\nLooked in:\n"
        + "\n".join(looked)
        + f"\n{why}\n{how}\nOr set COURSE_DATA_DIR to a folder that holds {ds.subdir}/."
    )
