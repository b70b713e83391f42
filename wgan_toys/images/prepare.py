r"""Prepare a data set once: decode, centre-crop and resize every image into uint8 ``.npy`` shards.

``wgan-toys prepare-images SOURCE --image-size 64 --channels 3 --out DIR`` reads any source of
:mod:`~wgan_toys.images.formats` (a folder, ``.npz``/``.npy``, LSUN's LMDB, CIFAR-10, CelebA,
MNIST) and writes

- ``DIR/shard_00000.npy``, ...: uint8 arrays (n, C, S, S), one per ``shard_size`` source items,
  each written to a temporary name and renamed when whole;
- ``DIR/index.json``: the store's version, the source, the shape, every shard's count, byte size
  and SHA-256, the files skipped with the reason, the held-out indices, and ``complete``.

The index is rewritten after every shard, so a killed run resumes where it stopped without
redoing a finished shard; a folder that holds another source's store is refused (never mixed);
running the command again on a complete store verifies it (sizes, shapes, checksums).

Decoding runs in worker processes. A JPEG is decoded at the smallest DCT scale, 1/2 or 1/4, that
keeps both sides at least S (``Image.draft``: libjpeg's scaled inverse DCT, which low-passes as it
shrinks), then centre-cropped and resized with bicubic interpolation, as DCGAN's LSUN transform
does. The 1/8 scale is never used: it keeps only each 8x8 block's DC term, a box mean that
aliases. ``benchmarks/bench_data.py`` prints the speed-up and the mean absolute difference from the
full decode + bicubic resize; ``tests/test_formats.py`` bounds the difference.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import os
import pathlib
import re
import sys

import numpy as np

from .._validation import MAX_THREADS
from ..runs import LOCK, run_lock
from ..runtime import available_cores
from .folder import resize_pil
from .formats import FORMATS, decode, open_source

__all__ = ["STORE_VERSION", "prepare_images", "verify_store", "read_index", "resize_image", "guess_format"]

# 2: JPEG draft decoding stops at 1/4 scale (1 could decode at 1/8, block averages). A store of another
# version is never resumed or read, so no store mixes the two decodes.
STORE_VERSION = 2
INDEX = "index.json"
_KIND = "wgan_toys prepared images"
_SETTINGS = ("image_size", "channels", "shard_size")
_SHARD_FILE = re.compile(r"^shard_[0-9]{5,}\.npy$")  # what _write_shard names: a plain name inside the store
_SHARD_KEYS = ("first_item", "items", "count", "bytes")
_SIZES = {"image_size": (16, 512), "channels": (1, 3)}  # a store's image side and channels (never 2)
_AGAIN = "the index is damaged or was not written by prepare-images; prepare the store again into a new folder"


def resize_image(image, image_size: int, channels: int) -> np.ndarray:
    """A Pillow image as uint8 (C, S, S): drafted to >= S and >= 1/4 scale (JPEG), then centre-cropped
    to a square and resized (bicubic) by :func:`~wgan_toys.images.folder.resize_pil`."""
    from PIL import Image

    if image.format == "JPEG":  # the smallest DCT scale that keeps S, but never 1/8 (DC terms only: 8x8 box means)
        request = max(image_size, -(-min(image.size) // 4))
        image.draft("L" if channels == 1 else "RGB", (request, request))
    if image.mode.startswith("I;16") or image.mode == "I":  # 16-bit grey: 65535 -> 255, never clipped
        image = Image.fromarray(np.round(np.asarray(image, dtype=np.float64) / 257.0).clip(0, 255).astype(np.uint8))
    return resize_pil(image, image_size, channels)  # the same crop and resize as every other source


def _decode_chunk(task):
    """(names, payloads, S, C) -> (uint8 (n, C, S, S), [(name, reason), ...]); runs in a worker."""
    names, payloads, image_size, channels = task
    images, skipped = [], []
    for name, payload in zip(names, payloads):
        try:
            images.append(resize_image(decode(payload, name), image_size, channels))
        except Exception as error:  # Pillow's many errors for a damaged file, a bomb, an odd mode
            skipped.append((name, f"{type(error).__name__}: {error}"))
    empty = np.empty((0, channels, image_size, image_size), np.uint8)
    return (np.stack(images) if images else empty), skipped


def guess_format(root) -> str:
    """``lsun`` for a folder with data.mdb, ``npz`` for .npz/.npy, ``mnist`` for an IDX file, else ``folder``."""
    path = pathlib.Path(root)
    if (path / "data.mdb").is_file():
        return "lsun"
    if path.suffix in (".npz", ".npy"):
        return "npz"
    if "idx3-ubyte" in path.name:
        return "mnist"
    return "folder"


def _write_json(path: pathlib.Path, value: dict) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(value, indent=1))
    os.replace(temporary, path)


def read_index(folder) -> dict:
    """The index of the store in ``folder``, its version checked.

    Raises
    ------
    ValueError
        No index, an index that is not JSON or not a store's, or a store of another version; each names the file.
    """
    path = pathlib.Path(folder) / INDEX
    try:
        index = json.loads(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist: {folder} is not a prepared store; run wgan-toys prepare-images.")
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read {path}: {error}; prepare the store again into a new folder.") from error
    if not isinstance(index, dict) or index.get("kind") != _KIND:
        raise ValueError(f"{path} is not the index of a prepared store; prepare the store again into a new folder.")
    if index.get("version") != STORE_VERSION:
        raise ValueError(
            f"{path} was written by store version {index.get('version')}, this wgan_toys reads version "
            f"{STORE_VERSION}; prepare the store again into a new folder."
        )
    _check_index(index, path)
    return index


def _whole(value, low: int, high: float = float("inf")) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_index(index: dict, path: pathlib.Path) -> None:
    """Every field a reader of the store uses, of its type and in its range, before any is used:
    shard files are plain ``shard_NNNNN.npy`` names (never a path out of the store's folder), the
    sizes integers in their ranges, the held-out images distinct indices of the stored ones.

    Raises
    ------
    ValueError
        Naming ``path``, the field and its value.
    """
    fields = {**_SIZES, "shard_size": (1, 2**62), "count": (0, 2**62)}
    for name, (low, high) in fields.items():
        if not _whole(index.get(name), low, high) or (name == "channels" and index[name] == 2):
            raise ValueError(f"{path}: {name} == {index.get(name)!r}, must be an integer in [{low}, {high}]; {_AGAIN}.")
    problems = [] if isinstance(index.get("complete"), bool) else [f"complete == {index.get('complete')!r}"]
    shards = index.get("shards")
    problems += [] if isinstance(shards, list) else [f"shards == {shards!r}"]
    for number, shard in enumerate(shards if isinstance(shards, list) else []):
        shard = shard if isinstance(shard, dict) else {}
        if not isinstance(shard.get("file"), str) or not _SHARD_FILE.match(shard["file"]):
            problems.append(f"shards[{number}].file == {shard.get('file')!r} (a shard is shard_NNNNN.npy in the store)")
        problems += [
            f"shards[{number}].{key} == {shard.get(key)!r}" for key in _SHARD_KEYS if not _whole(shard.get(key), 0)
        ]
    held = index.get("held_out")
    if (
        not isinstance(held, list)
        or not all(_whole(i, 0, index["count"] - 1) for i in held)
        or len(set(held)) < len(held)
    ):
        problems.append(f"held_out must list distinct indices in [0, count) == [0, {index['count']})")
    problems += [
        f"{name} == {index.get(name)!r}"
        for name, kind in (("skipped", list), ("source", dict))
        if not isinstance(index.get(name), kind)
    ]
    if problems:
        raise ValueError(f"{path}: {'; '.join(problems[:3])}; {_AGAIN}.")


def _sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_store(folder, checksums: bool = True) -> dict:
    """Check a complete store: every shard present, of its size, shape and (``checksums``) SHA-256.

    Raises
    ------
    ValueError
        An incomplete store, a missing, truncated or corrupt shard, or an index that disagrees with its
        shards; the message names the file and says what to do.
    """
    folder = pathlib.Path(folder)
    index = read_index(folder)
    if not index["complete"]:
        raise ValueError(f"{folder / INDEX}: the store is incomplete; run prepare-images again to resume it.")
    again = "run prepare-images into a new folder (or delete the shard and resume)"
    shape = (index["channels"], index["image_size"], index["image_size"])
    for shard in index["shards"]:
        path = folder / shard["file"]
        if not path.is_file() or path.stat().st_size != shard["bytes"]:
            size = path.stat().st_size if path.is_file() else "no"
            raise ValueError(f"{path}: {size} bytes, the index says {shard['bytes']}; the shard is truncated, {again}.")
        try:
            header = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as error:
            raise ValueError(f"{path} is not a readable .npy shard ({error}); {again}.") from error
        if header.dtype != np.uint8 or header.shape != (shard["count"], *shape):
            raise ValueError(
                f"{path}: {header.dtype} {header.shape}, the index says uint8 {(shard['count'], *shape)}; {again}."
            )
        if checksums and _sha256(path) != shard["sha256"]:
            raise ValueError(f"{path}: SHA-256 differs from the index; the shard is corrupt, {again}.")
    if sum(s["count"] for s in index["shards"]) != index["count"]:
        raise ValueError(f"{folder / INDEX}: shard counts do not add up to count == {index['count']}; {again}.")
    return index


def _start_index(out: pathlib.Path, source, settings: dict) -> dict:
    """A fresh index, or the one of an unfinished run of the same source and settings (resumed)."""
    if (out / INDEX).exists():
        index = read_index(out)
        same = index["source"] == source.describe() and all(index[k] == settings[k] for k in _SETTINGS)
        if not same:
            theirs = {"source": index["source"], **{k: index[k] for k in _SETTINGS}}
            raise ValueError(
                f"{out / INDEX} holds a store of {theirs}, not of {{'source': {source.describe()}, ...}} "
                f"with {settings}; stores never mix sources or sizes: pass another out."
            )
        return index
    if out.exists() and any(path.name != LOCK for path in out.iterdir()):
        raise ValueError(f"{out} is not empty and holds no {INDEX}; pass a new or empty folder as out.")
    index = {"kind": _KIND, "version": STORE_VERSION, "complete": False, "source": source.describe(), **settings}
    index.update(count=0, shards=[], skipped=[], held_out=[])
    _write_json(out / INDEX, index)
    return index


def _chunks(source, shard_ids, shard_size, chunk, image_size, channels):
    """(shard, last chunk of the shard?, task) for every chunk of every shard to do, read lazily."""
    for shard in shard_ids:
        start, stop = shard * shard_size, min((shard + 1) * shard_size, len(source))
        for first in range(start, stop, chunk):
            pairs = list(source.items(first, min(first + chunk, stop)))
            names, payloads = [p[0] for p in pairs], [p[1] for p in pairs]
            yield shard, first + chunk >= stop, (names, payloads, image_size, channels)


def _map_bounded(pool, function, tasks, window):
    """``map`` over ``tasks`` in order with at most ``window`` in flight (an LMDB never sits in memory whole)."""
    pending = []
    for key, last, task in tasks:
        pending.append((key, last, len(task[0]), pool.submit(function, task) if pool else function(task)))
        while len(pending) >= window:
            key0, last0, n0, future = pending.pop(0)
            yield key0, last0, n0, future.result() if pool else future
    for key0, last0, n0, future in pending:
        yield key0, last0, n0, future.result() if pool else future


def _write_shard(out: pathlib.Path, shard: int, images: np.ndarray, items: int, shard_size: int) -> dict:
    path = out / f"shard_{shard:05d}.npy"
    temporary = out / f"shard_{shard:05d}.npy.tmp"
    with open(temporary, "wb") as file:
        np.save(file, images)
    os.replace(temporary, path)
    entry = {"file": path.name, "first_item": shard * shard_size, "items": items, "count": len(images)}
    return {**entry, "bytes": path.stat().st_size, "sha256": _sha256(path)}


def prepare_images(
    root,
    out,
    *,
    source_format: str = "auto",
    image_size: int = 64,
    channels: int = 3,
    shard_size: int = 10000,
    held_out: int = 1000,
    workers: int | None = None,
    chunk: int = 128,
    seed: int = 1234,
    progress: bool = True,
) -> dict:
    """Decode ``root`` once into a store in ``out``; resume an unfinished one; verify a complete one.

    Parameters
    ----------
    root : path
        The source: a folder, a ``.npz``/``.npy`` file, or one of the formats of :mod:`~wgan_toys.images.formats`.
    source_format : {"auto", "folder", "npz", "lsun", "cifar10", "celeba", "mnist"}, default="auto"
        ``"auto"`` guesses from the path (:func:`guess_format`).
    image_size, channels : int, default=64, 3
        The stored images' side S (16 to 512) and channels C (1 or 3).
    shard_size : int, default=10000
        Source items per shard (a shard of 64x64x3 images is 123 MB); the unit of resumption.
    held_out : int, default=1000
        Images set aside for evaluation, drawn by a fixed permutation of the stored images (``seed``).
    workers : int, optional
        Decoding processes (default: the cores; 1 decodes in this process).

    Returns
    -------
    dict
        The store's index.

    Raises
    ------
    ValueError
        A bad setting (named, with its range), a source of another layout or with no images, an ``out``
        that holds another store or that another process is writing (:func:`~wgan_toys.runs.run_lock`),
        a corrupt shard of a complete store.
    """
    _check_settings(image_size, channels, shard_size, chunk, held_out, workers)
    kind = guess_format(root) if source_format == "auto" else source_format
    if kind not in FORMATS:
        raise ValueError(f"source_format == {source_format!r}, must be 'auto' or one of {', '.join(FORMATS)}.")
    source, out = open_source(kind, root), pathlib.Path(out)
    if len(source) <= held_out:  # refused before any decoding
        raise ValueError(
            f"{root} holds {len(source)} images, must hold more than held_out == {held_out}; lower held_out."
        )
    with run_lock(out):  # one writer per store: a second prepare-images on out is refused, not interleaved
        index = _start_index(out, source, {"image_size": image_size, "channels": channels, "shard_size": shard_size})
        if index["complete"]:
            return verify_store(out)
        for stale in out.glob("*.tmp"):  # a shard a kill interrupted: redone
            stale.unlink()
        _fill_shards(source, out, index, workers, chunk, progress)
        return _finish(out, index, held_out, seed)


def _check_settings(image_size, channels, shard_size, chunk, held_out, workers) -> None:
    """Each setting of :func:`prepare_images` an integer in its range, or a ValueError naming it."""
    for name, value in (("image_size", image_size), ("channels", channels)):
        low, high = _SIZES[name]
        if not _whole(value, low, high) or (name == "channels" and value == 2):
            raise ValueError(
                f"{name} == {value!r}, must be an integer in [{low}, {high}]"
                + (" (1 or 3)." if name == "channels" else ".")
            )
    for name, value in (("shard_size", shard_size), ("chunk", chunk)):
        if not _whole(value, 1):
            raise ValueError(f"{name} == {value!r}, must be a positive integer.")
    if not _whole(held_out, 0):
        raise ValueError(f"held_out == {held_out!r}, must be an integer >= 0 (images kept for evaluation).")
    if workers is not None and not _whole(workers, 1, MAX_THREADS):
        raise ValueError(
            f"workers == {workers!r}, must be an integer in [1, {MAX_THREADS}] (None, or the flag left out: the cores)."
        )


def _fill_shards(source, out, index, workers, chunk, progress):
    """Decode every shard the index does not list yet, updating the index after each one."""
    from tqdm.auto import tqdm

    size, channels, shard_size = index["image_size"], index["channels"], index["shard_size"]
    done = {s["first_item"] // shard_size for s in index["shards"]}
    todo = [k for k in range(-(-len(source) // shard_size)) if k not in done]
    workers = workers or available_cores()
    pool = concurrent.futures.ProcessPoolExecutor(workers) if workers > 1 else None
    initial = sum(s["items"] for s in index["shards"])
    bar = tqdm(total=len(source), initial=initial, unit="img", disable=not progress, file=sys.stderr, smoothing=0.1)
    parts, items, skipped = [], 0, []
    try:
        tasks = _chunks(source, todo, shard_size, chunk, size, channels)
        for shard, last, count, (images, bad) in _map_bounded(pool, _decode_chunk, tasks, 4 * workers):
            parts.append(images)
            items += count
            skipped += [{"name": name, "reason": reason} for name, reason in bad]
            bar.update(count)
            if last:
                entry = _write_shard(out, shard, np.concatenate(parts), items, shard_size)
                index["shards"] = sorted(index["shards"] + [entry], key=lambda s: s["first_item"])
                index["skipped"] += skipped
                _write_json(out / INDEX, index)
                parts, items, skipped = [], 0, []
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _finish(out, index, held_out, seed):
    count = sum(s["count"] for s in index["shards"])
    where = f"{index['source']['format']} source {index['source']['path']}"
    if count == 0:
        first = index["skipped"][0] if index["skipped"] else {"name": "?", "reason": "?"}
        raise ValueError(
            f"none of the {len(index['skipped'])} images of {where} could be decoded "
            f"(first: {first['name']}: {first['reason']}); check the source."
        )
    if count <= held_out:
        raise ValueError(f"{where} gives {count} images, must give more than held_out == {held_out}; lower held_out.")
    order = np.random.default_rng(seed).permutation(count)
    index.update(count=count, shape=[count, index["channels"], index["image_size"], index["image_size"]])
    index.update(held_out=[int(i) for i in order[:held_out]], seed=seed, complete=True)
    _write_json(out / INDEX, index)
    return verify_store(out, checksums=False)  # sizes and shapes: the checksums were taken as each shard was written


def add_prepare_command(commands) -> None:
    """Register ``wgan-toys prepare-images`` on the command line's subparsers."""
    parser = commands.add_parser(
        "prepare-images",
        help="decode a data set once into memory-mapped uint8 shards for train-images --dataset prepared",
    )
    add = parser.add_argument
    add(
        "source",
        help="the images: a folder, .npz/.npy, an LSUN LMDB folder (such as bedroom_train_lmdb), CIFAR-10, CelebA or MNIST files",
    )
    add("--format", dest="source_format", default="auto", choices=("auto", *FORMATS), help="(default: auto)")
    add("--out", required=True, help="the store's folder (new, or an unfinished store of the same source)")
    add("--image-size", dest="image_size", type=int, default=64, help="side S of the stored images (default: 64)")
    add("--channels", type=int, default=3, choices=(1, 3), help="(default: 3)")
    add("--shard-size", dest="shard_size", type=int, default=10000, help="source items per shard (default: 10000)")
    add("--held-out", dest="held_out", type=int, default=1000, help="images kept for evaluation (default: 1000)")
    add("--workers", type=int, default=None, help=f"decoding processes; in [1, {MAX_THREADS}] (default: the cores)")
    add("--no-progress", dest="progress", action="store_false", help="no progress bar")
    parser.set_defaults(run=_run_prepare)


def _run_prepare(args) -> int:
    options = ("source_format", "image_size", "channels", "shard_size", "held_out", "workers", "progress")
    index = prepare_images(args.source, args.out, **{k: getattr(args, k) for k in options})
    size = sum(s["bytes"] for s in index["shards"])
    print(
        f"wgan-toys prepare-images: {args.out}: {index['count']} images of shape {index['shape'][1:]} in "
        f"{len(index['shards'])} shards ({size / 2**20:.1f} MiB), {len(index['held_out'])} held out, "
        f"{len(index['skipped'])} skipped; checked. Train with: wgan-toys train-images --dataset prepared "
        f"--data-root {args.out} --image-size {index['image_size']} --channels {index['channels']}"
    )
    return 0
