"""SVHN format 1 (Street View House Numbers, full photos with one box a digit).

What the two SVHN notebooks (07, 08) need, in the order they use it:

- :func:`locate_svhn` finds (or downloads, checksum-verified) ``train.tar.gz`` /
  ``test.tar.gz`` and extracts them; :func:`svhn_or_standin` falls back to a generated
  stand-in when the real files cannot be had (no internet) and says so loudly;
- :func:`parse_digit_struct` reads ``digitStruct.mat`` (MATLAB v7.3, i.e. HDF5 with object
  references) with h5py 3 into a tidy table, one row a digit, label 10 turned into 0;
- :func:`union_box`, :func:`crop_number` cut each photo to the union of its digit boxes,
  enlarged by a margin and clipped to the image, resized with current Pillow resampling;
  :func:`digit_box` gives that union inside the crop, as shares of the crop's size (the
  box target of notebook 08);
- :func:`encode_numbers` turns a number into ``[count, d1, .., d5]`` with a "no digit"
  class; :func:`preprocess_split` does all of that for a folder (with a random margin for
  each side when asked), with a progress bar;
- :func:`make_standin_svhn` writes an offline stand-in in the same format: PNG photos of
  house numbers made of real MNIST digits on textured backgrounds, and a genuine v7.3
  ``digitStruct.mat`` (512-byte MATLAB header, HDF5 object references);
- :func:`sequence_accuracy`, :func:`head_accuracies`, :func:`decode_numbers` score the
  multi-output network of notebook 08.

Nothing is imported from TensorFlow here; h5py and Pillow are imported inside functions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .data.fetch import DataNotFoundError, locate

SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"  # registry entry: utils.data.registry "svhn"
SPLITS = ("train", "test")
MAX_DIGITS = 5
NO_DIGIT = 10  # class of an empty position in the label encoding
COLUMNS = ["file", "position", "label", "left", "top", "width", "height"]

STANDIN_BANNER = """\
==========================================================================================
 STAND-IN DATA: the real SVHN archives could not be found or downloaded (offline).
 The images below are GENERATED house numbers made of MNIST digits on textured backgrounds,
 in SVHN's format-1 layout ({where}). The code path is the real one,
 but every number this notebook prints describes the stand-in: these are NOT SVHN results.
=========================================================================================="""


# --------------------------------------------------------------------------- data lookup
def locate_svhn(data_dir: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The folder holding SVHN format 1, extracted: ``<folder>/train/digitStruct.mat`` etc.

    The course's data lookup (``utils.data.locate``): ``data_dir``, ``$COURSE_DATA_DIR/svhn``,
    the repository's ``data/svhn``, then a download of both archives (about 680 MB) unless
    ``download=False`` or ``COURSE_OFFLINE=1``. Every archive is checked against its SHA-256
    before it is extracted or read; a wrong file raises ``ChecksumError``.
    """
    return locate("svhn", data_dir, download).path


def svhn_or_standin(
    standin_dir: str | os.PathLike,
    n_train: int,
    n_test: int,
    seed: int = 42,
    data_dir: str | os.PathLike | None = None,
    quiet: bool = False,
) -> tuple[Path, bool]:
    """``(folder, is_standin)``: the real SVHN when it can be had, else a generated stand-in.

    The stand-in (``n_train`` + ``n_test`` photos) is written to ``standin_dir`` (reused when
    it is already there with the same sizes and seed) and a banner is printed saying that
    the data are not SVHN.
    """
    try:
        return locate_svhn(data_dir), False
    except DataNotFoundError as exc:
        reason = str(exc).splitlines()[-3] if len(str(exc).splitlines()) >= 3 else str(exc)
    root = make_standin_svhn(standin_dir, n_train=n_train, n_test=n_test, seed=seed)
    if not quiet:
        print(STANDIN_BANNER.format(where=f"{n_train:,} train + {n_test:,} test photos"))
        print(f"Why: {reason}")
    return root, True


# --------------------------------------------------------------------------- digitStruct.mat
def _matlab_string(f, ref) -> str:
    codes = np.asarray(f[ref][()]).ravel()
    return "".join(map(chr, codes.astype(np.int64)))


def _field_values(f, dset) -> list[float]:
    """A bbox field: a (1, 1) number when the photo has one digit, else (k, 1) references."""
    values = dset[()]
    if dset.dtype.kind == "O" or values.dtype == object:  # h5py.Reference
        return [float(np.asarray(f[r][()]).ravel()[0]) for r in np.asarray(values).ravel()]
    return [float(v) for v in np.asarray(values).ravel()]


def parse_digit_struct(
    path: str | os.PathLike, limit: int | None = None, progress: bool = False
) -> pd.DataFrame:
    """Read ``digitStruct.mat`` into a tidy table, one row a digit.

    Columns: ``file`` (e.g. ``"1.png"``), ``position`` (0 = leftmost digit, in the file's
    order), ``label`` (0-9; SVHN stores 0 as 10), ``left``, ``top``, ``width``, ``height``
    (pixels, ints; ``left``/``top`` can be negative in the real data). ``limit`` reads only
    the first photos. Uses h5py 3 (``dset[()]``, not the removed ``Dataset.value``).
    """
    import h5py

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist: expected the digitStruct.mat of an SVHN "
            "format-1 split (extract train.tar.gz / test.tar.gz first)"
        )
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(
            f"{path} is not a MATLAB v7.3 (HDF5) file: {exc}. SVHN format 1's "
            "digitStruct.mat is one; the *_32x32.mat files of format 2 are not "
            "what this parser reads."
        ) from exc
    with f:
        if "digitStruct" not in f or not {"name", "bbox"} <= set(f["digitStruct"].keys()):
            raise ValueError(
                f"{path} has no /digitStruct/name and /digitStruct/bbox: not an SVHN "
                f"format-1 digitStruct.mat (top level holds {sorted(f.keys())})"
            )
        names = f["digitStruct/name"][()].ravel()
        boxes = f["digitStruct/bbox"][()].ravel()
        if len(names) != len(boxes):
            raise ValueError(f"{path}: {len(names)} names but {len(boxes)} bbox entries")
        n = len(names) if limit is None else min(int(limit), len(names))
        rows = {c: [] for c in COLUMNS}
        it = range(n)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"parsing {path.parent.name}/{path.name}", leave=False)
        for i in it:
            name = _matlab_string(f, names[i])
            group = f[boxes[i]]
            fields = {k: _field_values(f, group[k]) for k in ("label", "left", "top", "width", "height")}
            k = len(fields["label"])
            if any(len(v) != k for v in fields.values()):
                raise ValueError(
                    f"{path}: photo {name} has fields of different lengths "
                    f"{ {key: len(v) for key, v in fields.items()} }"
                )
            rows["file"] += [name] * k
            rows["position"] += list(range(k))
            for key, values in fields.items():
                rows[key] += values
    df = pd.DataFrame(rows, columns=COLUMNS)
    df["label"] = (df["label"].round().astype(int) % 10).astype("int64")  # 10 means 0
    for col in ("left", "top", "width", "height"):
        df[col] = df[col].round().astype("int64")
    df["position"] = df["position"].astype("int64")
    return df


_MATLAB_HEADER_TEXT = "MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: {date} HDF5 schema 1.00 ."


def matlab_v73_header(created: datetime | None = None) -> bytes:
    """The 512-byte user block MATLAB writes in front of the HDF5 data of a v7.3 MAT-file."""
    created = created or datetime.now(UTC)
    text = _MATLAB_HEADER_TEXT.format(date=created.strftime("%a %b %d %H:%M:%S %Y")).encode("ascii")
    header = text.ljust(116, b" ") + b" " * 8 + b"\x00\x02" + b"IM"
    return header.ljust(512, b"\x00")


def write_digit_struct(path: str | os.PathLike, table: pd.DataFrame, created: datetime | None = None) -> Path:
    """Write ``table`` (columns of :func:`parse_digit_struct`) as a MATLAB v7.3 ``digitStruct.mat``.

    Same layout as SVHN's: ``/digitStruct/name`` and ``/digitStruct/bbox`` are (n, 1) object
    references; a name points to a (length, 1) uint16 char array; a bbox to a struct group
    whose fields ``height label left top width`` hold the value itself for a one-digit photo
    and (k, 1) references to (1, 1) doubles otherwise; labels store 0 as 10. Photos keep the
    order in which they first appear in ``table``.
    """
    import h5py

    missing = sorted(set(COLUMNS) - set(table.columns))
    if missing:
        raise ValueError(f"table lacks columns {missing}; expected {COLUMNS}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if table.empty:
        raise ValueError("table has no rows: a digitStruct.mat needs at least one digit box")
    order = list(dict.fromkeys(table["file"]))  # photos in order of first appearance
    groups = {name: g.sort_values("position", kind="stable") for name, g in table.groupby("file", sort=False)}
    ref_dtype = h5py.special_dtype(ref=h5py.Reference)
    counter = iter(range(1 << 40))

    def new_name() -> str:
        return f"r{next(counter):x}"

    tmp = path.with_name(f".{path.name}.part")
    with h5py.File(tmp, "w", userblock_size=512, libver="earliest") as f:
        refs = f.create_group("#refs#")
        root = f.create_group("digitStruct")
        root.attrs["MATLAB_class"] = np.bytes_("struct")
        name_refs = np.empty((len(order), 1), dtype=object)
        bbox_refs = np.empty((len(order), 1), dtype=object)
        for i, fname in enumerate(order):
            codes = np.frombuffer(fname.encode("ascii"), dtype=np.uint8).astype(np.uint16)[:, None]
            d = refs.create_dataset(new_name(), data=codes)
            d.attrs["MATLAB_class"] = np.bytes_("char")
            d.attrs["MATLAB_int_decode"] = np.int32(2)
            name_refs[i, 0] = d.ref
            g = refs.create_group(new_name())
            g.attrs["MATLAB_class"] = np.bytes_("struct")
            rows = groups[fname]
            for key in ("height", "label", "left", "top", "width"):
                values = rows[key].to_numpy(dtype=np.float64)
                if key == "label":
                    values = np.where(values == 0, 10.0, values)
                if len(values) == 1:
                    fd = g.create_dataset(key, data=values.reshape(1, 1))
                    fd.attrs["MATLAB_class"] = np.bytes_("double")
                else:
                    inner = np.empty((len(values), 1), dtype=object)
                    for j, v in enumerate(values):
                        vd = refs.create_dataset(new_name(), data=np.array([[v]]))
                        vd.attrs["MATLAB_class"] = np.bytes_("double")
                        inner[j, 0] = vd.ref
                    fd = g.create_dataset(key, data=inner, dtype=ref_dtype)
                    fd.attrs["MATLAB_class"] = np.bytes_("cell")
            bbox_refs[i, 0] = g.ref
        for key, data in (("name", name_refs), ("bbox", bbox_refs)):
            d = root.create_dataset(key, data=data, dtype=ref_dtype)
            d.attrs["MATLAB_class"] = np.bytes_("cell")
    with open(tmp, "r+b") as fh:  # the MATLAB header lives in the HDF5 user block
        fh.write(matlab_v73_header(created))
    os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- crop and labels
def union_box(
    boxes: pd.DataFrame | np.ndarray,
    margin: float | Sequence[float] = 0.3,
    image_size: tuple[int, int] | None = None,
) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the union of digit boxes, enlarged and clipped.

    ``boxes``: rows of ``left, top, width, height``. The union is enlarged by ``margin``
    times its width (height) on each side, then clipped to ``image_size = (width, height)``.
    ``margin`` is one share for every side or four shares, ``(left, top, right, bottom)``.
    ``right``/``bottom`` are exclusive, as in ``PIL.Image.crop``.
    """
    arr = (
        boxes[["left", "top", "width", "height"]].to_numpy(dtype=float)
        if isinstance(boxes, pd.DataFrame)
        else np.asarray(boxes, dtype=float).reshape(-1, 4)
    )
    if len(arr) == 0:
        raise ValueError("union_box needs at least one digit box")
    m = np.asarray(margin, dtype=float).ravel()
    if m.size not in (1, 4):
        raise ValueError(f"margin must be one share or four (left, top, right, bottom), got {margin}")
    if np.any(m < 0):
        raise ValueError(f"margin must be >= 0 (a share of the box size), got {margin}")
    m_left, m_top, m_right, m_bottom = np.broadcast_to(m, (4,))
    if np.any(arr[:, 2:] <= 0):
        raise ValueError(f"box widths and heights must be positive, got {arr[:, 2:].tolist()}")
    left, top = arr[:, 0].min(), arr[:, 1].min()
    right, bottom = (arr[:, 0] + arr[:, 2]).max(), (arr[:, 1] + arr[:, 3]).max()
    w, h = right - left, bottom - top
    box = [
        int(np.floor(left - m_left * w)),
        int(np.floor(top - m_top * h)),
        int(np.ceil(right + m_right * w)),
        int(np.ceil(bottom + m_bottom * h)),
    ]
    if image_size is not None:
        w, h = image_size
        box = [max(box[0], 0), max(box[1], 0), min(box[2], w), min(box[3], h)]
        if box[2] <= box[0] or box[3] <= box[1]:
            raise ValueError(f"the digit boxes lie outside the {w}x{h} image: {arr.tolist()}")
    return tuple(box)


def crop_number(image, boxes, size: int = 32, margin: float | Sequence[float] = 0.3) -> np.ndarray:
    """Crop a photo (PIL image or array) to :func:`union_box` and resize to ``size x size`` RGB."""
    from PIL import Image

    img = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    img = img.convert("RGB")
    box = union_box(boxes, margin=margin, image_size=img.size)
    return np.asarray(img.crop(box).resize((size, size), Image.Resampling.LANCZOS))


def digit_box(boxes: pd.DataFrame | np.ndarray, window: Sequence[float]) -> np.ndarray:
    """The union of the digit boxes (no margin) inside a crop ``window``, as shares of its size.

    ``window``: ``(left, top, right, bottom)`` in pixels, e.g. from :func:`union_box`.
    Returns float32 ``(y_min, x_min, y_max, x_max)`` in [0, 1], clipped (real boxes can
    stick out of the photo, and so out of the clipped window). Resizing the crop to a
    square does not change these numbers: they are shares of the height and of the width.
    """
    left, top, right, bottom = (float(v) for v in window)
    if right <= left or bottom <= top:
        raise ValueError(f"window must be (left, top, right, bottom), right > left, bottom > top: {window}")
    u_left, u_top, u_right, u_bottom = union_box(boxes, margin=0)
    w, h = right - left, bottom - top
    box = [(u_top - top) / h, (u_left - left) / w, (u_bottom - top) / h, (u_right - left) / w]
    return np.clip(np.array(box, dtype=np.float32), 0, 1)


def encode_numbers(
    digits: Sequence[Sequence[int]], max_digits: int = MAX_DIGITS
) -> tuple[np.ndarray, np.ndarray]:
    """Labels ``(n, 1 + max_digits)`` uint8: ``[count, d1, ..., d_max]``, empty positions = 10.

    Returns ``(labels, keep)``: numbers with more than ``max_digits`` digits are dropped
    (``keep`` is False for them; count them with ``(~keep).sum()``).
    """
    keep = np.array([1 <= len(d) <= max_digits for d in digits], dtype=bool)
    out = np.full((int(keep.sum()), 1 + max_digits), NO_DIGIT, dtype=np.uint8)
    row = 0
    for d, k in zip(digits, keep):
        if not k:
            if len(d) == 0:
                raise ValueError("a number without digits cannot be encoded")
            continue
        if any(not (0 <= int(x) <= 9) for x in d):
            raise ValueError(f"digits must be 0-9, got {list(d)}")
        out[row, 0] = len(d)
        out[row, 1 : 1 + len(d)] = d
        row += 1
    return out, keep


def decode_numbers(labels: np.ndarray) -> list[str]:
    """``[count, d1, ..]`` rows back to strings: the first ``count`` digits (``"?"`` for 10)."""
    labels = np.asarray(labels)
    if labels.ndim != 2 or labels.shape[1] < 2:
        raise ValueError(f"expected labels of shape (n, 1 + max_digits), got {labels.shape}")
    return ["".join(str(int(d)) if d < NO_DIGIT else "?" for d in row[1 : 1 + int(row[0])]) for row in labels]


def preprocess_split(
    folder: str | os.PathLike,
    table: pd.DataFrame | None = None,
    size: int = 32,
    margin: float = 0.3,
    max_digits: int = MAX_DIGITS,
    limit: int | None = None,
    progress: bool = True,
    jitter: float = 0.0,
    seed: int = 0,
) -> dict:
    """Crop and label every photo of an extracted split folder (``train/`` or ``test/``).

    Each side of a crop gets the margin ``margin + u`` with ``u`` drawn uniformly from
    ``[-jitter, jitter]`` for every photo and side (``seed`` fixes the draws), so the number
    is not always at the same place in the crop; ``jitter=0`` gives ``margin`` everywhere.
    Returns a dict: ``x`` uint8 ``(n, size, size, 3)``, ``y`` uint8 ``(n, 1 + max_digits)``
    (see :func:`encode_numbers`), ``box`` float32 ``(n, 4)``: the union of the digit boxes in
    the crop, ``(y_min, x_min, y_max, x_max)`` as shares of its size (:func:`digit_box`),
    ``file`` (names), ``n_photos`` and ``n_dropped`` (photos whose number has more than
    ``max_digits`` digits).
    """
    from PIL import Image

    if not 0 <= jitter <= margin:
        raise ValueError(f"jitter must be between 0 and margin ({margin}), got {jitter}")
    folder = Path(folder)
    if table is None:
        table = parse_digit_struct(folder / "digitStruct.mat", limit=limit, progress=progress)
    files = list(pd.unique(table["file"]))
    if limit is not None:
        files = files[: int(limit)]
    groups = dict(tuple(table.groupby("file", sort=False)))
    numbers = [groups[f].sort_values("position")["label"].tolist() for f in files]
    y, keep = encode_numbers(numbers, max_digits=max_digits)
    kept = [f for f, k in zip(files, keep) if k]
    x = np.empty((len(kept), size, size, 3), dtype=np.uint8)
    box = np.empty((len(kept), 4), dtype=np.float32)
    margins = margin + jitter * np.random.default_rng(seed).uniform(-1, 1, size=(len(kept), 4))
    it = kept
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(kept, desc=f"cropping {folder.name}/", leave=False)
    for i, fname in enumerate(it):
        path = folder / fname
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} is listed in digitStruct.mat but missing: "
                "the extraction is incomplete; delete the folder and extract again"
            )
        with Image.open(path) as im:
            x[i] = crop_number(im, groups[fname], size=size, margin=margins[i])
            window = union_box(groups[fname], margin=margins[i], image_size=im.size)
        box[i] = digit_box(groups[fname], window)
    return dict(x=x, y=y, box=box, file=np.array(kept), n_photos=len(files), n_dropped=int((~keep).sum()))


# --------------------------------------------------------------------------- scoring
def decode_predictions(
    probs: Mapping[str, np.ndarray] | Sequence[np.ndarray], max_digits: int = MAX_DIGITS
) -> np.ndarray:
    """Softmax outputs of the heads (``count``, ``digit_1``.. or a list in that order) -> labels."""
    if isinstance(probs, Mapping):
        keys = ["count"] + [f"digit_{i}" for i in range(1, max_digits + 1)]
        missing = [k for k in keys if k not in probs]
        if missing:
            raise KeyError(f"predictions lack heads {missing}; got {sorted(probs)}")
        probs = [probs[k] for k in keys]
    if len(probs) != 1 + max_digits:
        raise ValueError(f"expected {1 + max_digits} heads (count + {max_digits} digits), got {len(probs)}")
    return np.stack([np.asarray(p).argmax(axis=-1) for p in probs], axis=1).astype(np.uint8)


def sequence_accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Share of numbers read entirely right: the count and each of its digits.

    Positions beyond the true count are ignored (the count head decides where a number
    ends), so this is exactly "the decoded string equals the true string".
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 2:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must both be (n, 1 + max_digits)")
    return float(np.mean(np.array(decode_numbers(y_true)) == np.array(decode_numbers(y_pred))))


def head_accuracies(y_true: np.ndarray, y_pred: np.ndarray) -> pd.DataFrame:
    """Accuracy of every head, over all numbers and (digit heads) over numbers that have that digit.

    The "all" column flatters the later positions: most numbers have no 4th digit, and
    predicting "no digit" there is easy. "where a digit exists" is the honest one.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} differ")
    rows = [
        dict(
            head="count",
            n=len(y_true),
            accuracy_all=np.mean(y_true[:, 0] == y_pred[:, 0]),
            n_with_digit=np.nan,
            accuracy_where_digit=np.nan,
        )
    ]
    for j in range(1, y_true.shape[1]):
        has = y_true[:, j] != NO_DIGIT
        rows.append(
            dict(
                head=f"digit_{j}",
                n=len(y_true),
                accuracy_all=np.mean(y_true[:, j] == y_pred[:, j]),
                n_with_digit=int(has.sum()),
                accuracy_where_digit=(np.mean(y_true[has, j] == y_pred[has, j]) if has.any() else np.nan),
            )
        )
    return pd.DataFrame(rows).set_index("head")


# --------------------------------------------------------------------------- offline stand-in
# shares of numbers with 1..6 digits (6-digit ones exist so that dropping is exercised)
STANDIN_COUNT_PROBS = (0.14, 0.44, 0.28, 0.10, 0.03, 0.01)


def _texture(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A coloured, textured background (float RGB 0-255): gradient, blotches, stripes, grain."""
    from PIL import Image

    base = rng.uniform(20, 235, size=3)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    grad = (np.cos(angle) * xx / max(w, 1) + np.sin(angle) * yy / max(h, 1))[..., None]
    img = base + rng.uniform(-50, 50, size=3) * grad
    small = rng.normal(0, 1, size=(rng.integers(2, 7), rng.integers(2, 9), 3)).astype(np.float32)
    blotch = np.stack(
        [
            np.asarray(Image.fromarray(small[..., c]).resize((w, h), Image.Resampling.BICUBIC))
            for c in range(3)
        ],
        axis=-1,
    )
    img = img + rng.uniform(5, 30) * blotch
    if rng.random() < 0.5:  # siding, bricks, tiles
        period = rng.uniform(4, 14)
        phase = rng.uniform(0, period)
        stripes = ((yy + phase) % period < rng.uniform(1, 3)).astype(np.float32)[..., None]
        img = img - rng.uniform(15, 45) * stripes
    if rng.random() < 0.3:  # a plate edge or door frame
        x0 = int(rng.integers(0, w))
        img[:, x0 : x0 + int(rng.integers(1, 4))] = rng.uniform(0, 255, size=3)
    img = img + rng.normal(0, rng.uniform(2, 10), size=img.shape)
    return img


def _contrasting_colour(rng: np.random.Generator, background: np.ndarray) -> np.ndarray:
    lum = lambda c: 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]  # noqa: E731
    bg = lum(background)
    for _ in range(50):
        c = rng.uniform(0, 255, size=3)
        if abs(lum(c) - bg) >= 70:
            return c
    return np.full(3, 0.0 if bg > 127 else 255.0)


def _ink_box(mask: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(mask > 0.25)
    return int(cols.min()), int(rows.min()), int(cols.max()) + 1, int(rows.max()) + 1


def render_house_number(digits_img: Sequence[np.ndarray], rng: np.random.Generator):
    """One photo from MNIST digit images: ``(rgb uint8 array, boxes (k, 4) left/top/width/height)``."""
    from PIL import Image, ImageFilter

    h = int(rng.integers(22, 50))  # digit height in pixels
    glyphs = []
    for d in digits_img:
        d = np.asarray(d, dtype=np.float32) / 255.0
        x0, y0, x1, y1 = _ink_box(d)
        d = d[y0:y1, x0:x1]
        aspect = d.shape[1] / d.shape[0] * rng.uniform(0.85, 1.25)
        w = max(3, int(round(h * aspect)))
        g = (
            np.asarray(
                Image.fromarray((d * 255).astype(np.uint8)).resize((w, h), Image.Resampling.BICUBIC),
                dtype=np.float32,
            )
            / 255.0
        )
        glyphs.append(np.clip(g, 0, 1))
    gaps = [int(round(h * rng.uniform(-0.02, 0.35))) for _ in glyphs[1:]]
    jitter = [int(round(h * rng.uniform(-0.08, 0.08))) for _ in glyphs]
    pad_x = [int(round(h * rng.uniform(0.3, 1.6))) for _ in range(2)]
    pad_y = [int(round(h * rng.uniform(0.3, 1.1))) for _ in range(2)]
    width = pad_x[0] + sum(g.shape[1] for g in glyphs) + sum(gaps) + pad_x[1]
    height = pad_y[0] + h + pad_y[1]
    bg = _texture(rng, width, height)
    colour = _contrasting_colour(rng, bg[height // 2, width // 2])
    alpha = np.zeros((height, width), dtype=np.float32)
    boxes, x = [], pad_x[0]
    for i, g in enumerate(glyphs):
        y = pad_y[0] + jitter[i]
        region = alpha[y : y + h, x : x + g.shape[1]]
        np.maximum(region, g[: region.shape[0], : region.shape[1]], out=region)
        bx0, by0, bx1, by1 = _ink_box(g)
        boxes.append((x + bx0, y + by0, bx1 - bx0, by1 - by0))
        x += g.shape[1] + (gaps[i] if i < len(gaps) else 0)
    shade = 1 + rng.uniform(-0.15, 0.15)
    img = bg * (1 - alpha[..., None]) + colour * shade * alpha[..., None]
    pil = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.6:
        pil = pil.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 1.2))))
    return np.asarray(pil), np.array(boxes, dtype=np.int64)


def make_standin_svhn(
    root: str | os.PathLike,
    n_train: int = 2000,
    n_test: int = 500,
    seed: int = 42,
    mnist=None,
    count_probs: Sequence[float] = STANDIN_COUNT_PROBS,
    progress: bool = True,
) -> Path:
    """Write an SVHN-format stand-in to ``root/train`` and ``root/test``; return ``root``.

    Each split holds ``1.png``, ``2.png``, ... (house numbers of 1-6 MNIST digits; train
    photos use MNIST's training digits, test photos its test digits) and a MATLAB v7.3
    ``digitStruct.mat`` with their digit boxes. ``mnist`` is ``load_mnist()``'s result
    (loaded when not given). A finished stand-in with the same settings is reused.
    """
    from PIL import Image

    if n_train < 1 or n_test < 1:
        raise ValueError(f"n_train and n_test must be >= 1, got {n_train} and {n_test}")
    probs = np.asarray(count_probs, dtype=float)
    if probs.ndim != 1 or np.any(probs < 0) or not np.isclose(probs.sum(), 1):
        raise ValueError(
            f"count_probs must be shares of 1, 2, .. digits summing to 1, got {list(count_probs)}"
        )
    root = Path(root)
    stamp = f"standin v1 n_train={n_train} n_test={n_test} seed={seed} probs={probs.round(4).tolist()}\n"
    marker = root / "STANDIN.txt"
    if (
        marker.is_file()
        and marker.read_text() == stamp
        and all((root / s / "digitStruct.mat").is_file() for s in SPLITS)
    ):
        return root
    if mnist is None:
        from .data import load_mnist

        mnist = load_mnist()
    (xtr, ytr), (xte, yte) = mnist
    rng = np.random.default_rng(seed)
    for split, n, (xs, ys) in (("train", n_train, (xtr, ytr)), ("test", n_test, (xte, yte))):
        folder = root / split
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*.png"):
            old.unlink()
        rows = []
        it = range(1, n + 1)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, desc=f"generating stand-in {split}/", leave=False)
        for i in it:
            k = int(rng.choice(len(probs), p=probs)) + 1
            idx = rng.integers(0, len(xs), size=k)
            img, boxes = render_house_number([xs[j] for j in idx], rng)
            name = f"{i}.png"
            Image.fromarray(img).save(folder / name, optimize=False, compress_level=1)
            for pos, (j, b) in enumerate(zip(idx, boxes)):
                rows.append((name, pos, int(ys[j]), *map(int, b)))
        write_digit_struct(folder / "digitStruct.mat", pd.DataFrame(rows, columns=COLUMNS))
    marker.write_text(stamp)
    return root


# --------------------------------------------------------------------------- figures
def plot_photos_with_boxes(
    folder: str | os.PathLike,
    table: pd.DataFrame,
    files: Sequence[str],
    margin: float = 0.3,
    ncols: int = 4,
    size: float = 3.0,
):
    """Photos with their digit boxes (red, labelled) and the enlarged union box that is cropped (yellow)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle
    from PIL import Image

    files = list(files)
    if not files:
        raise ValueError("plot_photos_with_boxes needs at least one file name")
    unknown = sorted(set(files) - set(table["file"]))
    if unknown:
        raise KeyError(f"files {unknown[:5]} are not in the table")
    ncols = max(1, min(ncols, len(files)))
    nrows = int(np.ceil(len(files) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, 0.75 * size * nrows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, name in zip(axes.flat, files):
        rows = table[table["file"] == name].sort_values("position")
        with Image.open(Path(folder) / name) as im:
            img = np.asarray(im.convert("RGB"))
        ax.imshow(img)
        for r in rows.itertuples():
            ax.add_patch(Rectangle((r.left, r.top), r.width, r.height, fill=False, ec="red", lw=1.2))
            ax.text(r.left, r.top - 2, str(r.label), color="red", fontsize=8, va="bottom")
        left, top, right, bottom = union_box(rows, margin=margin, image_size=(img.shape[1], img.shape[0]))
        ax.add_patch(
            Rectangle((left, top), right - left, bottom - top, fill=False, ec="yellow", lw=1.5, ls="--")
        )
        ax.set_title(f"{name}: {''.join(map(str, rows['label']))}", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- training log
def sequence_log_callback(x_val: np.ndarray, y_val: np.ndarray, batch_size: int = 256):
    """A Keras callback printing one short line an epoch: losses, count and digit accuracy, and the
    validation **sequence accuracy** (whole number right). Its ``rows`` keep the values."""
    import time

    import keras

    if len(x_val) != len(y_val):
        raise ValueError(f"x_val has {len(x_val)} images but y_val {len(y_val)} labels")

    class SequenceLog(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rows: list[dict] = []
            self._t0 = 0.0

        def on_epoch_begin(self, epoch, logs=None):
            self._t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            pred = decode_predictions(self.model.predict(x_val, batch_size=batch_size, verbose=0))
            row = dict(
                epoch=epoch + 1,
                loss=logs.get("loss", np.nan),
                val_loss=logs.get("val_loss", np.nan),
                val_count_acc=float(np.mean(pred[:, 0] == y_val[:, 0])),
                val_sequence_acc=sequence_accuracy(y_val, pred),
            )
            self.rows.append(row)
            print(
                f"epoch {row['epoch']:3d}  loss {row['loss']:.3f}  val_loss {row['val_loss']:.3f}  "
                f"val count acc {row['val_count_acc']:.3f}  val sequence acc {row['val_sequence_acc']:.3f}  "
                f"({time.perf_counter() - self._t0:.0f}s)"
            )

    return SequenceLog()


def head_targets(y: np.ndarray) -> dict[str, np.ndarray]:
    """Label matrix ``(n, 1 + max_digits)`` -> the dict of targets a multi-output model trains on."""
    y = np.asarray(y)
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"expected labels of shape (n, 1 + max_digits), got {y.shape}")
    return {"count": y[:, 0], **{f"digit_{j}": y[:, j] for j in range(1, y.shape[1])}}
