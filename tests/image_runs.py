"""The tiny image run the image, run-folder and data tests share: 16x16 digits, 8 filters, four
generator steps on one CPU thread (seconds). Each test file overrides what it needs."""

TINY_IMAGE_RUN = dict(
    image_size=16,
    filters=8,
    noise_dim=16,
    mlp_width=32,
    batch_size=16,
    generator_steps=4,
    log_every=1,
    eval_every=2,
    eval_samples=32,
    sample_every=2,
    checkpoint_every=2,
    held_out=100,
    device="cpu",
    threads=1,
)
