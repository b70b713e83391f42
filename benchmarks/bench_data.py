"""The data path at full scale: prepare once, then feed from the memory map, against today's folder path.

On a synthetic folder of ``--images`` JPEGs of LSUN's size (342 x 256, smooth colour fields plus
noise, quality 75; default 20,000, ``--quick``: 300) this run measures, in one process:

- today's start-up pass of ``load_images("folder", preload="no")``, which decodes every file before
  the first step (files/s), and today's preload decode rate: ``ImageData.reader`` one image at a
  time, as ``preload="yes"`` does (images/s on one core);
- ``prepare_images`` (``wgan-toys prepare-images``) at 64x64x3 with one worker process on a
  fifth of the folder (per core) and with one worker per core on all of it;
- the start-up of :class:`~wgan_toys.images.store.PreparedStore` on that store and on an index of
  LSUN bedrooms' size (3,033,042 images in 304 shards, written without its shards: start-up reads
  the index only), against today's folder pass;
- prepare's JPEG decode (``Image.draft``: libjpeg's DCT scaling, 1/2 or 1/4) against the full
  decode, both centre-cropped and resized to 64 with bicubic interpolation: speed and mean absolute
  difference in grey levels of 255, on 300 of the files;
- the random-batch feed rate (m = 64, 64x64x3) from the memory map, as uint8 (the gather) and as
  ``batch()`` gives it to the trainer (floats in [-1, 1]), with the page cache warm, and cold
  after ``posix_fadvise(DONTNEED)`` on every shard (where the kernel honours it): the gather one
  page fault at a time, with the batch's indices sorted, and with the batch announced first
  (``posix_fadvise(WILLNEED)``, what ``batch()`` does). A cold measurement draws at most a tenth of
  the store (the kernel reads around each fault, so that a long run over a small store warms it),
  five times, and keeps the median;
- what the trainer consumes: Algorithm 1 (DCGAN, m = 64, n_critic = 5, 320 real images per
  generator step) on this CPU, from the same store; and the 10,000 images/s a current GPU asks for.

Targets: the store feeds >= 20,000 images/s at 64x64x3 from the page cache,
start-up < 1 s for any size, prepare >= 2x today's preload decode rate per core. The table is
printed, never asserted. ``python benchmarks/bench_data.py`` takes a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import pathlib
import resource
import shutil
import tempfile
import time

import numpy as np
import torch
import tqdm.auto  # noqa: F401  prepare-images' progress bar: imported once here, not inside a timed rate
from _timing import print_table  # puts the repo on sys.path
from PIL import Image

from wgan_toys.images.data import load_images
from wgan_toys.images.prepare import prepare_images
from wgan_toys.images.store import PreparedStore

GPU_NEED = 10_000  # images/s: tens of generator steps a second x 320 real images each
LSUN_BEDROOMS = 3_033_042


def lsun_like_folder(folder: pathlib.Path, count: int, seed: int = 0) -> int:
    """``count`` 342 x 256 JPEGs (a few distinct fields, re-noised per file); returns the bytes written."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:256, 0:342]
    bases = [
        np.stack([128 + 60 * np.sin(x / (11 + 3 * k) + c) + 40 * np.cos(y / (19 + k) * c + 1) for c in range(3)], -1)
        for k in range(8)
    ]
    total = 0
    for index in range(count):
        noisy = bases[index % 8] + rng.normal(0, 12, (256, 342, 3))
        buffer = io.BytesIO()
        Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=75)
        (folder / f"{index:07d}.jpg").write_bytes(buffer.getvalue())
        total += len(buffer.getvalue())
    return total


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (prepare's workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rates(count: int, function) -> tuple[float, float]:
    """(images per wall second, images per CPU second): the second is what one core does, busy machine or not."""
    before = cpu_seconds()
    wall, _ = timed(function)
    return count / wall, count / (cpu_seconds() - before)


def drop_cache(store: pathlib.Path) -> bool:
    """Ask the kernel to drop the shards' pages (clean pages of files we can open: no root needed)."""
    if not hasattr(os, "posix_fadvise"):
        return False
    for path in store.glob("shard_*.npy"):
        with open(path, "rb") as file:
            os.fsync(file.fileno())  # freshly written pages are dirty, and dirty pages are not dropped
            os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    return True


def feed_rate(data: PreparedStore, batches: int, batch_size: int, as_float: bool, seed: int = 0) -> float:
    """Random batches per second x batch size, each batch's gather overlapping the previous one's use."""
    generator = torch.Generator().manual_seed(seed)
    draws = [torch.randint(0, data.count, (batch_size,), generator=generator) for _ in range(batches)]
    start = time.perf_counter()
    for index, draw in enumerate(draws):
        if as_float:
            data.batch(draw)
            if index + 1 < batches:
                data.prefetch(draws[index + 1])
        else:
            data.gather(data.store_indices(draw.numpy()))
    return batches * batch_size / (time.perf_counter() - start)


def cold_feed(root: pathlib.Path, batches: int, how: str) -> float:
    """The median of five feed rates from a dropped page cache, each on fresh random batches."""
    found = []
    for seed in range(5):
        store = PreparedStore(root)
        generator = torch.Generator().manual_seed(100 + seed)
        draws = [torch.randint(0, store.count, (64,), generator=generator) for _ in range(batches)]
        drop_cache(root)
        start = time.perf_counter()
        for index, draw in enumerate(draws):
            where = store.store_indices(draw.numpy())
            if how == "batch":
                store.batch(draw)
                if index + 1 < batches:
                    store.prefetch(draws[index + 1])
            elif how == "sorted":
                order = np.argsort(where)
                gathered = store.gather(where[order])
                np.empty_like(gathered)[order] = gathered  # back in the drawn order
            else:
                store.gather(where, advise=how == "advised")
        found.append(batches * 64 / (time.perf_counter() - start))
        store.close()
        gc.collect()  # no memory map left: mapped pages are not dropped
    return float(np.median(found))


def draft_against_full(folder: pathlib.Path, count: int, size: int = 64) -> tuple[float, float]:
    """(CPU-time speed-up, mean absolute difference in grey levels): prepare's decode of ``count`` JPEGs
    against a full decode, both centre-cropped and resized to ``size`` with bicubic interpolation."""
    from wgan_toys.images.prepare import resize_image

    paths = sorted(folder.iterdir())[:count]

    def full(path):
        with Image.open(path) as image:
            image = image.convert("RGB")
            side = min(image.size)
            left, top = (image.width - side) // 2, (image.height - side) // 2
            image = image.crop((left, top, left + side, top + side)).resize((size, size), Image.Resampling.BICUBIC)
            return np.asarray(image).transpose(2, 0, 1).astype(np.int16)

    def drafted(path):
        with Image.open(path) as image:
            return resize_image(image, size, 3).astype(np.int16)

    before = cpu_seconds()
    reference = [full(path) for path in paths]
    full_seconds, before = cpu_seconds() - before, cpu_seconds()
    fast = [drafted(path) for path in paths]
    draft_seconds = cpu_seconds() - before
    difference = np.mean([np.abs(a - b).mean() for a, b in zip(reference, fast)])
    return full_seconds / draft_seconds, float(difference)


def lsun_sized_index(store: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """The store's index scaled to LSUN bedrooms: 304 shards of 10,000, 1,000 held out (no shard files)."""
    index = json.loads((store / "index.json").read_text())
    counts = [10_000] * (LSUN_BEDROOMS // 10_000) + [LSUN_BEDROOMS % 10_000]
    index["shards"] = [
        {"file": f"shard_{k:05d}.npy", "first_item": 10_000 * k, "items": n, "count": n, "bytes": 0, "sha256": "0" * 64}
        for k, n in enumerate(counts)
    ]
    index.update(
        count=LSUN_BEDROOMS, held_out=[int(i) for i in np.random.default_rng(0).permutation(LSUN_BEDROOMS)[:1000]]
    )
    folder.mkdir()
    (folder / "index.json").write_text(json.dumps(index, indent=1))
    return folder


def trainer_consumption(store: pathlib.Path, filters: int, steps: int, out: pathlib.Path) -> float:
    """Real images per second that Algorithm 1 (DCGAN, m = 64, n_critic = 5) consumes on this CPU."""
    from wgan_toys.images.trainer import ImageConfig, ImageTrainer

    config = ImageConfig(
        dataset="prepared",
        data_root=str(store),
        image_size=64,
        filters=filters,
        channels=3,
        batch_size=64,
        held_out=100,
        generator_steps=steps + 1,
        device="cpu",
        eval_every=10**6,
        sample_every=10**6,
        checkpoint_every=10**6,
    )
    trainer = ImageTrainer(config, out=out, verbose=False)
    trainer.iteration()  # warm-up
    seconds, _ = timed(lambda: [trainer.iteration() for _ in range(steps)])
    trainer.close()
    return steps * 5 * 64 / seconds


def measure(work: pathlib.Path, args) -> dict:
    found = {}
    found["jpeg_bytes"] = lsun_like_folder(work / "folder", args.images)
    subset, warm = work / "subset", work / "warm"
    subset.mkdir()
    warm.mkdir()
    for index, path in enumerate(sorted((work / "folder").iterdir())[: max(args.images // 5, 50)]):
        os.link(path, subset / path.name)
        if index < 20:
            os.link(path, warm / path.name)
    found["subset"] = len(list(subset.iterdir()))
    found["folder_pass"], data = timed(
        lambda: load_images(
            "folder", root=work / "folder", image_size=64, channels=3, preload="no", held_out=10, verbose=False
        )
    )
    sample = min(args.images, 1000 if not args.quick else 100)
    found["preload_rate"], found["preload_cpu"] = rates(sample, lambda: [data.reader(i) for i in range(sample)])
    found["draft_speed"], found["draft_difference"] = draft_against_full(work / "folder", min(args.images, 300))
    settings = dict(image_size=64, channels=3, progress=False)
    prepare_images(warm, work / "warm_store", workers=1, held_out=10, **settings)  # first-call costs, not timed
    one = lambda: prepare_images(subset, work / "one", workers=1, held_out=10, **settings)  # noqa: E731
    found["prepare_one"], found["prepare_one_cpu"] = rates(found["subset"], one)
    every = lambda: prepare_images(  # noqa: E731
        work / "folder", work / "store", workers=args.workers, shard_size=args.shard_size, held_out=100, **settings
    )
    found["prepare_all"], found["prepare_all_cpu"] = rates(args.images, every)
    found["startup"] = min(timed(lambda: PreparedStore(work / "store"))[0] for _ in range(5))
    lsun = lsun_sized_index(work / "store", work / "lsun_index")
    found["startup_lsun"] = min(timed(lambda: PreparedStore(lsun))[0] for _ in range(5))
    store = PreparedStore(work / "store")
    feed_rate(store, 5, 64, True)  # maps opened, page cache warm
    found["feed_uint8"] = max(feed_rate(store, args.batches, 64, False, seed) for seed in range(3))
    found["feed_float"] = max(feed_rate(store, args.batches, 64, True, seed) for seed in range(3))
    store.close()
    gc.collect()  # no memory map left: mapped pages are not dropped
    cold_batches = max(2, min(args.batches, store.count // 640))  # a tenth of the store at most
    found["cold_batches"], found["store_count"] = cold_batches, store.count
    for how in ("plain", "sorted", "advised", "batch"):
        found[f"cold_{how}"] = hasattr(os, "posix_fadvise") and cold_feed(work / "store", cold_batches, how)
    found["consumption"] = trainer_consumption(work / "store", 8 if args.quick else 64, args.steps, work / "run")
    return found


def rows(found: dict, args, cores: int) -> list:
    """The table: each measured quantity, its ratio to its baseline, its target."""
    today = found["preload_cpu"]
    return [
        [
            "today: folder start-up pass (decodes every file)",
            f"{found['folder_pass']:.2f} s",
            f"{args.images / found['folder_pass']:.0f} files/s",
            "",
            "",
        ],
        [
            "today: preload decode, one image at a time",
            f"{found['preload_rate']:.0f} img/s, {today:.0f}/CPU-s",
            "1.00x per CPU-s",
            "",
            "",
        ],
        [
            "prepare-images, 1 worker",
            f"{found['prepare_one']:.0f} img/s, {found['prepare_one_cpu']:.0f}/CPU-s",
            f"{found['prepare_one_cpu'] / today:.2f}x per CPU-s",
            ">= 2x",
            _met(found["prepare_one_cpu"] / today >= 2),
        ],
        [
            f"prepare-images, {args.workers} workers",
            f"{found['prepare_all']:.0f} img/s, {found['prepare_all_cpu']:.0f}/CPU-s",
            f"{found['prepare_all_cpu'] / today:.2f}x per CPU-s",
            ">= 2x",
            _met(found["prepare_all_cpu"] / today >= 2),
        ],
        [
            "prepare's draft JPEG decode vs full decode",
            f"{found['draft_difference']:.2f} grey levels",
            f"{found['draft_speed']:.2f}x faster per CPU-s",
            "",
            "",
        ],
        [
            "store start-up (this store)",
            f"{found['startup'] * 1e3:.1f} ms",
            f"{found['folder_pass'] / found['startup']:.0f}x faster",
            "< 1 s",
            _met(found["startup"] < 1),
        ],
        [
            f"store start-up (LSUN index, {LSUN_BEDROOMS:,} images)",
            f"{found['startup_lsun'] * 1e3:.1f} ms",
            "",
            "< 1 s",
            _met(found["startup_lsun"] < 1),
        ],
        [
            "feed, uint8 gather (what a GPU receives), warm",
            f"{found['feed_uint8']:.0f} img/s",
            f"{found['feed_uint8'] / GPU_NEED:.1f}x GPU need",
            ">= 20000",
            _met(found["feed_uint8"] >= 20000),
        ],
        [
            "feed, batch() to floats on the CPU, warm, prefetched",
            f"{found['feed_float']:.0f} img/s",
            f"{found['feed_float'] / GPU_NEED:.1f}x GPU need",
            ">= 20000",
            _met(found["feed_float"] >= 20000),
        ],
        *[
            [
                f"feed, cache dropped, {what}",
                f"{found['cold_' + how]:.0f} img/s" if found["cold_" + how] else "not measured",
                f"{found['cold_' + how] / found['cold_plain']:.2f}x, {found['cold_' + how] / GPU_NEED:.2f}x GPU need"
                if found["cold_" + how]
                else "",
                "",
                "",
            ]
            for how, what in (
                ("plain", "uint8 gather, one page fault at a time"),
                ("sorted", "uint8 gather, indices sorted"),
                ("advised", "uint8 gather, WILLNEED first"),
                ("batch", "batch() (WILLNEED, prefetched)"),
            )
        ],
        [
            f"Algorithm 1 consumes (CPU, {cores} cores)",
            f"{found['consumption']:.0f} img/s",
            f"feed / this = {found['feed_float'] / found['consumption']:.0f}x",
            "",
            "",
        ],
        ["a current GPU needs", f"{GPU_NEED} img/s", "", "", ""],
    ]


def report(found: dict, args, cores: int) -> None:
    print_table(["quantity", "measured", "ratio", "target", "met"], rows(found, args, cores))
    prepare_per_core = found["prepare_all_cpu"]
    per_image = found["jpeg_bytes"] / args.images
    print(
        f"\nLSUN bedrooms ({LSUN_BEDROOMS:,} images), from these rates: JPEGs about {LSUN_BEDROOMS * per_image / 1e9:.0f} GB "
        f"at {per_image / 1e3:.1f} kB each here; store at 64x64x3: {LSUN_BEDROOMS * 64 * 64 * 3 / 1e9:.1f} GB; "
        f"prepare: {LSUN_BEDROOMS / prepare_per_core / 3600:.2f} core-hours ({LSUN_BEDROOMS / prepare_per_core / 3600 / 16:.2f} h on 16 cores); "
        f"today's start-up pass: {LSUN_BEDROOMS / (args.images / found['folder_pass']) / 60:.0f} min at every start."
    )
    print(
        f"cold feeds: {found['cold_batches']} batches of 64 (draws of {found['cold_batches'] * 64 / found['store_count']:.0%} "
        "of the store), median of 5 after dropping the page cache; ratios against one page fault at a time"
    )
    print(
        f"load average at the end: {os.getloadavg()[0]:.1f} on {cores} cores (wall rates fall with it; CPU-s rates do not)"
    )


def _met(ok: bool) -> str:
    return "yes" if ok else "NO"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 images, a few batches: a smoke run")
    parser.add_argument("--images", type=int, default=None, help="synthetic JPEGs (default: 20000; --quick: 300)")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: the cores)")
    parser.add_argument("--workers", type=int, default=None, help="prepare processes (default: the cores)")
    parser.add_argument("--keep", default=None, help="write the folder and store here and keep them")
    args = parser.parse_args()
    cores = len(os.sched_getaffinity(0))
    args.images = args.images or (300 if args.quick else 20_000)
    args.workers = args.workers or cores
    args.shard_size, args.batches, args.steps = (100, 20, 1) if args.quick else (10_000, 400, 3)
    torch.set_num_threads(args.threads or cores)
    work = pathlib.Path(args.keep or tempfile.mkdtemp(prefix="bench_data_"))
    print(
        f"bench_data: load average {os.getloadavg()[0]:.1f}; {args.images} synthetic 342x256 JPEGs, 64x64x3 out, {cores} cores, {args.workers} prepare workers, torch threads {torch.get_num_threads()}"
    )
    try:
        report(measure(work, args), args, cores)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
