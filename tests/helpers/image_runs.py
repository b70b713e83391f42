"""The tiny image run the image, run-folder and data tests share: :meth:`ImageConfig.smoke` (16x16
digits, 8 filters) for four generator steps on one CPU thread (seconds). Each test file overrides
what it needs."""

from wgan_toys.images.config import ImageConfig

# ImageConfig.smoke's settings, as a dict each test file extends, with a smaller batch (16) and four
# steps checkpointed at 2 and 4 (a run to resume from its middle), on one CPU thread
TINY_IMAGE_RUN = ImageConfig.smoke_settings(
    batch_size=16,
    generator_steps=4,
    eval_every=2,
    eval_samples=32,
    sample_every=2,
    checkpoint_every=2,
    device="cpu",
    threads=1,
)

HANG_GUARD = 1800  # seconds; a guard against a hung child, never a speed limit (a busy machine is slow)


def interrupt_a_long_run(out, signum, rows: int, env=None):
    """Start ``wgan-toys train-images --smoke`` for 100000 generator steps into ``out`` (one CPU
    thread, no evaluation or periodic checkpoint), send ``signum`` once ``rows`` metric lines are
    written, and return ``(exit status, stderr)``."""
    import subprocess
    import sys
    import time

    command = [sys.executable, "-m", "wgan_toys", "train-images", "--smoke", "--threads", "1", "--device", "cpu"]
    command += ["--generator-steps", "100000", "--eval-every", "100000", "--checkpoint-every", "100000"]
    process = subprocess.Popen(
        [*command, "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    metrics = out / "metrics.jsonl"
    deadline = time.time() + HANG_GUARD
    while time.time() < deadline and not (metrics.exists() and len(metrics.read_text().splitlines()) >= rows):
        time.sleep(0.2)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=HANG_GUARD)
    return process.returncode, stderr
