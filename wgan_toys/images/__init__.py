"""The final chapter: the paper's Section 4 on images (WGAN, the GAN baseline, WGAN-GP).

- :mod:`~wgan_toys.images.models`: DCGAN, DCGAN without batch norm, MLP generators; DCGAN and
  MLP critics (Section 4.3, Figures 5-7).
- :mod:`~wgan_toys.images.data`: ``load_images``: bundled digits, image folders
  (:mod:`~wgan_toys.images.folder`), .npz (:mod:`~wgan_toys.images.npz`), the real data sets
  (:mod:`~wgan_toys.images.sources`), prepared stores.
- :mod:`~wgan_toys.images.checkpoints`: a checkpoint's contents checked against its config
  before loading (run folders themselves are :mod:`wgan_toys.runs`, shared with the toys).
- :mod:`~wgan_toys.images.trainer`: Algorithm 1 and its baselines, run folders, checkpoints,
  resume, DistributedDataParallel under ``torchrun``.
- :mod:`~wgan_toys.images.quality`: sliced Wasserstein distance, digits mode coverage.
- :mod:`~wgan_toys.images.grids`: sample grids with Pillow.
- :mod:`~wgan_toys.images.section4`: the three generators x {WGAN, GAN} on digits.
- :mod:`~wgan_toys.images.formats`, :mod:`~wgan_toys.images.prepare`, :mod:`~wgan_toys.images.store`:
  the real data sets' files without torchvision, ``prepare-images``, the memory-mapped store.
"""

# The valid names, here without torch so that the command line can list them without loading it
# (the algorithms' names are wgan_toys.objectives.ALGORITHMS).
GENERATOR_ARCHITECTURES = ("dcgan", "dcgan-nobn", "mlp")
CRITIC_ARCHITECTURES = ("dcgan", "mlp")
NORMALIZATIONS = ("batch", "layer", "none")
DATASETS = ("digits", "folder", "npz", "mnist", "cifar10", "lsun", "celeba", "prepared")
CRITIC_SCHEDULES = ("algorithm-1", "paper-code")
PRECISIONS = ("auto", "fp32", "bf16")
IMAGE_SIZES = (16, 32, 64, 128)  # the generators and critics of images.models
CLIP_PARAMETERS = ("all", "weights")  # WGAN clipping: w, every critic parameter (Algorithm 1), or weights only
# How the library's messages name the data's location: load_images' root, ImageConfig's data_root
# (the command line shows its flag in their place).
ROOT_ARGUMENT = "root (data_root= in ImageConfig)"
