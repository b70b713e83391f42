"""What several test files share and no test file owns: tiny image-run settings and a run interrupted by a
signal (:mod:`helpers.image_runs`), the torchrun worker of the DDP test (:mod:`helpers.ddp_worker`, run as a
script), and where the book reads the executed lessons (:mod:`helpers.book`).

``tests/`` is on ``sys.path`` while pytest runs (rootdir-relative imports), so a test imports
``from helpers.image_runs import TINY_IMAGE_RUN``.
"""
