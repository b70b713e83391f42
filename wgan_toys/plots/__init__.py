"""The paper's figures and the pictures of the lessons, one module per chapter.

Every ``plot_*`` function draws on ``ax`` (a new one if None) and returns it; every ``figure_*``
function builds a whole figure and returns it, or, where it computes data a lesson quotes, a named
tuple ``(figure, data)`` (:class:`Figure2`, :class:`ConvergenceFigure`, :class:`ToyRunFigure`). Figures
take results; callers train. Colours are
the Okabe-Ito palette, which survives colour blindness and a washed-out projector; labels use
the paper's symbols; every drawing function draws in one style (:data:`STYLE`). This package
imports matplotlib; ``import wgan_toys`` does not load it.

- :mod:`~wgan_toys.plots.likelihood`: Section 1: Example 1 blurred by noise, what the noise buys and
  costs, the likelihood as sigma shrinks, the topologies of Theorem 2 and Appendix A (lesson 00);
- :mod:`~wgan_toys.plots.distances`: Section 2: Figure 1, two Gaussians, transport plans,
  convergence of sample estimates (lessons 01-02);
- :mod:`~wgan_toys.plots.critics`: Section 3: Figure 2, the Lipschitz constraints (clipping's
  effective slope, weights at +-c, the gradient penalty's bias) (lessons 03-04);
- :mod:`~wgan_toys.plots.toy_runs`: Section 4 on 2D toys: a ToyGAN run (lesson 06);
- :mod:`~wgan_toys.plots.image_runs`: Section 4 on images: an image run, Figures 5-7 (lesson 07);
- ``_style`` (private to the package): ``COLORS``, ``STYLE``, ``PROJECTOR_STYLE``,
  :func:`course_style`, and the decorator that draws each function in the style.

Every module's ``__all__`` is re-exported here whole: ``from wgan_toys.plots import figure_2`` and
``plots.figure_2`` work as they did when this was one module, and a new drawing function is
exported by naming it in its module's ``__all__``.

References
----------
Arjovsky, Chintala, Bottou (2017), arXiv:1701.07875.
"""

from ..distributions import FIGURE_2_FAKE, FIGURE_2_REAL  # noqa: F401  (lessons 03-04 read Figure 2's pair here)
from . import critics, distances, image_runs, likelihood, toy_runs
from ._style import COLORS, PROJECTOR_STYLE, STYLE, course_style
from .critics import *  # noqa: F403  (each module's __all__, re-exported whole)
from .distances import *  # noqa: F403
from .image_runs import *  # noqa: F403
from .likelihood import *  # noqa: F403
from .toy_runs import *  # noqa: F403

__all__ = [
    "COLORS",
    "STYLE",
    "PROJECTOR_STYLE",
    "course_style",
    *likelihood.__all__,
    *distances.__all__,
    *critics.__all__,
    *toy_runs.__all__,
    *image_runs.__all__,
]
