"""Small input checks shared by the package.

Every check raises ``ValueError`` or ``TypeError`` with a message that names the parameter,
its value, the allowed range and, where one exists, the fix. Nothing is clipped silently.

Settings of a config dataclass declare their constraint once, scikit-learn style, in the
field's metadata, and :func:`check_constraints` (called from ``__post_init__``) checks them all::

    clip_value: float = field(default=0.01, metadata={
        "constraint": Interval(numbers.Real, 0, None, closed="neither"), "hint": "the paper uses c = 0.01"})

A list of constraints accepts a value that any of them accepts; ``None`` in the list accepts
``None`` ("the algorithm's default"). Samples (points, series, image batches) go through one
path, :func:`as_real_array`: real numeric numpy arrays, lists and torch tensors (16-bit floats
converted to float64 explicitly); complex, object, string and ragged input is refused by name.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import re

import numpy as np

# Seeds are unsigned 32-bit integers, [0, 2**32 - 1]: every seeding function accepts these
# (numpy's legacy RandomState accepts exactly these, torch.manual_seed up to 2**64 - 1), and
# seed + rank or seed + 2 (the trainers' derived streams) stay within torch's range.
SEED_MAX = 2**32 - 1


def _show(value) -> str:
    """A value as it appears in a message: 0.01, -1, 'wgan', nan (not np.float64(0.01))."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    return repr(value)


def _number(value) -> str:
    """A bound as it appears in a message: 0, 1, 4294967295, 0.5."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 2**63 else repr(float(value))


class Interval:
    """Numbers of ``type`` (``numbers.Integral`` or ``numbers.Real``) between ``left`` and
    ``right`` (``None``: unbounded on that side); ``closed`` is ``"left"``, ``"right"``,
    ``"both"`` or ``"neither"``. Real intervals hold finite numbers only: NaN and infinity are
    refused whatever the bounds. Booleans are not numbers here.

    ``cap``, a reason, marks ``right`` as a cap (a size's upper bound, float32's largest number):
    a value below ``left`` is then told only the lower bound, as if there were no cap, and one
    above the cap is told the cap and its reason (:meth:`describe`)."""

    def __init__(self, type, left, right, *, closed: str, cap: str | None = None):
        if type not in (numbers.Integral, numbers.Real):
            raise TypeError(f"type must be numbers.Integral or numbers.Real, got {type!r}.")
        if closed not in ("left", "right", "both", "neither"):
            raise ValueError(f"closed == {closed!r}, must be one of 'left', 'right', 'both', 'neither'.")
        self.type, self.left, self.right, self.closed, self.cap = type, left, right, closed, cap

    def describe(self, value) -> str:
        """What ``value`` must be, as an error message says it."""
        if self.cap is None or self.right is None:
            return str(self)
        if isinstance(value, numbers.Real) and math.isfinite(value) and value > self.right:
            return f"<= {_number(self.right)}, {self.cap}"
        return str(
            Interval(self.type, self.left, None, closed="left" if self.closed in ("left", "both") else "neither")
        )

    def type_ok(self, value) -> bool:
        return not isinstance(value, bool) and isinstance(value, self.type)

    def __contains__(self, value) -> bool:
        if not self.type_ok(value) or (self.type is numbers.Real and not math.isfinite(value)):
            return False
        left_closed, right_closed = self.closed in ("left", "both"), self.closed in ("right", "both")
        if self.left is not None and (value < self.left or (value == self.left and not left_closed)):
            return False
        if self.right is not None and (value > self.right or (value == self.right and not right_closed)):
            return False
        return True

    def __str__(self) -> str:
        left_closed, right_closed = self.closed in ("left", "both"), self.closed in ("right", "both")
        if self.left is not None and self.right is not None:
            return f"in {'[' if left_closed else '('}{_number(self.left)}, {_number(self.right)}{']' if right_closed else ')'}"
        if self.left is not None:
            return f"{'>=' if left_closed else '>'} {_number(self.left)}"
        if self.right is not None:
            return f"{'<=' if right_closed else '<'} {_number(self.right)}"
        return "any finite number" if self.type is numbers.Real else "any integer"

    def __repr__(self) -> str:
        return f"Interval({self.type.__name__}, {self.left!r}, {self.right!r}, closed={self.closed!r})"

    @property
    def type_name(self) -> str:
        return "an integer" if self.type is numbers.Integral else "a real number"


class Options:
    """One of ``choices`` (strings or integers, compared with their type: 32.0 and True are not
    32 and 1). ``text`` replaces the default description "one of 'a', 'b'"."""

    def __init__(self, choices, *, text: str | None = None):
        self.choices, self.text = tuple(choices), text

    @staticmethod
    def _kind(value):
        if isinstance(value, bool):
            return bool
        if isinstance(value, str):
            return str
        if isinstance(value, numbers.Integral):
            return numbers.Integral
        return type(value)

    def type_ok(self, value) -> bool:
        return any(self._kind(value) is self._kind(choice) for choice in self.choices)

    def __contains__(self, value) -> bool:
        return self.type_ok(value) and any(value == choice for choice in self.choices)

    def __str__(self) -> str:
        return self.text or "one of " + ", ".join(repr(choice) for choice in self.choices)

    def __repr__(self) -> str:
        return f"Options({self.choices!r})"

    @property
    def type_name(self) -> str:
        kinds = {self._kind(choice) for choice in self.choices}
        return "a string" if kinds == {str} else "an integer" if kinds == {numbers.Integral} else "one of the options"


class Boolean:
    """True or False (not 0 and 1)."""

    def type_ok(self, value) -> bool:
        return isinstance(value, bool)

    __contains__ = type_ok
    type_name = "True or False"

    def __str__(self) -> str:
        return "True or False"

    def __repr__(self) -> str:
        return "Boolean()"


class Text:
    """A non-empty string, or one that matches ``pattern`` (described by ``text``)."""

    def __init__(self, pattern: str | None = None, *, text: str = "a non-empty string"):
        self.pattern, self.text = pattern, text

    def type_ok(self, value) -> bool:
        return isinstance(value, str)

    def __contains__(self, value) -> bool:
        if not isinstance(value, str) or not value:
            return False
        return self.pattern is None or re.fullmatch(self.pattern, value) is not None

    type_name = "a string"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Text({self.pattern!r})"


DEVICE = Text(r"auto|cpu|mps|cuda(:\d+)?", text="'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'")
SEED = Interval(numbers.Integral, 0, SEED_MAX, closed="both")


def check_constraint(name: str, value, constraint, hint: str = ""):
    """Return ``value`` if ``constraint`` (one constraint, or a list of them where ``None``
    accepts ``None``) accepts it; else raise a TypeError (wrong kind of value) or a ValueError
    ``"{name} == {value}, must be {constraint} ({hint})."``."""
    options = list(constraint) if isinstance(constraint, (list, tuple)) else [constraint]
    none_ok = None in options
    options = [option for option in options if option is not None]
    if value is None and none_ok:
        return value
    if any(value in option for option in options):
        return value
    described = " or ".join(
        option.describe(value) if isinstance(option, Interval) else str(option) for option in options
    ) + (" or None" if none_ok else "")
    note = f" ({hint})" if hint else ""
    if not any(option.type_ok(value) for option in options):
        kinds = " or ".join(option.type_name for option in options) + (" or None" if none_ok else "")
        kinds = kinds if kinds == described else f"{kinds} ({described})"
        raise TypeError(f"{name} must be {kinds}, got {value!r} of type {type(value).__name__}{note}.")
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and not math.isfinite(value):
        raise ValueError(f"{name} == {_show(value)}, must be finite and {described}{note}.")
    raise ValueError(f"{name} == {_show(value)}, must be {described}{note}.")


def check_constraints(config) -> None:
    """Check every field of the dataclass instance ``config`` against the ``"constraint"`` (and
    ``"hint"``) of its metadata. Call it from ``__post_init__``: a config that exists is valid."""
    for field in dataclasses.fields(config):
        if "constraint" in field.metadata:
            check_constraint(
                field.name, getattr(config, field.name), field.metadata["constraint"], field.metadata.get("hint", "")
            )


def check_real(name: str, value, *, allow_infinite: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}.")
    value = float(value)
    if math.isnan(value) or (not allow_infinite and math.isinf(value)):
        raise ValueError(f"{name} == {value}, must be a finite real number.")
    return value


def check_positive(name: str, value, *, hint: str = "") -> float:
    """Return ``value`` as a float, or raise unless it is finite and > 0.

    ``hint`` is appended as written: pass it with its separator, e.g. ``" (the paper uses c = 0.01)"``.
    """
    value = check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} == {value}, must be > 0{hint}.")
    return value


def check_int(name: str, value, *, minimum: int) -> int:
    """Return ``value`` as an int, or raise unless it is an integer >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} == {value}, must be >= {minimum}.")
    return int(value)


# machine epsilon of torch's float dtypes (bfloat16 has no numpy dtype), for weight tolerances
_TORCH_EPS = {
    "torch.bfloat16": 2.0**-7,
    "torch.float16": 2.0**-10,
    "torch.float32": 2.0**-23,
    "torch.float64": 2.0**-52,
}


def _real_array(name: str, values) -> tuple[np.ndarray, float | None]:
    """``values`` as a float64 array of its own shape, and the machine epsilon of its source
    dtype (None for integers and booleans). Raises for strings, complex, objects, ragged rows."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be real numbers (an array, list or tensor), got the string {values!r}.")
    eps = None
    if hasattr(values, "detach") and hasattr(values, "is_complex"):  # a torch tensor
        tensor = values.detach()
        if tensor.is_complex():
            raise TypeError(
                f"{name} has complex dtype {tensor.dtype}, must be real; pass {name}.real if the imaginary part is to be dropped."
            )
        if tensor.is_floating_point():
            eps = _TORCH_EPS.get(str(tensor.dtype))
            tensor = (
                tensor.double()
            )  # bfloat16 has no numpy dtype and float16 is lossy to compute in: float64, explicitly
        values = tensor.cpu().numpy()
    try:
        array = np.asarray(values)
    except (ValueError, TypeError) as error:  # ragged rows
        raise ValueError(f"{name} is not a rectangular array of numbers: {error}") from None
    kind = array.dtype.kind
    if kind == "c":
        raise TypeError(
            f"{name} has complex dtype {array.dtype}, must be real; pass {name}.real if the imaginary part is to be dropped."
        )
    if kind == "O":
        raise TypeError(
            f"{name} has dtype object (None, mixed types or ragged rows), must be real numbers; "
            f"convert it with numpy.asarray({name}, dtype=float) if its entries are numbers."
        )
    if kind in "US":
        raise TypeError(f"{name} holds strings (dtype {array.dtype}), must be real numbers; convert them with float().")
    if kind not in "biuf":
        raise TypeError(f"{name} has dtype {array.dtype}, must be real numbers.")
    if kind == "f":
        eps = float(np.finfo(array.dtype).eps) if eps is None else eps
    return array.astype(np.float64), eps


def as_real_array(name: str, values) -> np.ndarray:
    """Return ``values`` (a numpy array, a list, a torch tensor of any real dtype) as a float64
    numpy array of the same shape.

    The one conversion that every sample-taking function uses. bfloat16 and float16 tensors are
    converted to float64 explicitly. Raises a TypeError for strings, complex numbers and object
    arrays (None, mixed types), a ValueError for ragged nested lists; emptiness and finiteness
    are checked by :func:`check_finite_array`.
    """
    return _real_array(name, values)[0]


def check_finite_array(name: str, values) -> np.ndarray:
    """:func:`as_real_array`, refusing an empty array and NaN or infinite entries."""
    array = as_real_array(name, values)
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}), must hold at least one sample.")
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} NaN or infinite values, all entries must be finite.")
    return array


def check_series(name: str, values) -> np.ndarray:
    """A non-empty, finite, one-dimensional float64 array (a logged curve), or raise."""
    array = check_finite_array(name, values)
    if array.ndim != 1:
        raise ValueError(f"{name} has shape {array.shape}, must be one-dimensional.")
    return array


def check_samples(name: str, samples, *, dim: int | None = None, flatten: bool = False) -> np.ndarray:
    """Return samples as a float array of shape (n, d); 1D input becomes (n, 1).

    Accepts what :func:`as_real_array` accepts. With ``flatten``, a batch of shape (n, ...) (for
    example images (n, C, H, W)) becomes (n, C*H*W). Raises if the array is empty, holds NaN or
    infinity, or has the wrong dimension.
    """
    array = as_real_array(name, samples)
    if array.ndim == 1:
        array = array[:, None]
    if flatten and array.ndim > 2:
        array = array.reshape(array.shape[0], int(np.prod(array.shape[1:])))  # not -1: an empty batch has no -1
    if array.ndim != 2:
        raise ValueError(f"{name} has shape {array.shape}, must be (n,) or (n, d).")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}), must hold at least one sample.")
    if not np.all(np.isfinite(array)):
        bad = int(np.sum(~np.isfinite(array)))
        raise ValueError(f"{name} holds {bad} NaN or infinite values, all entries must be finite.")
    if dim is not None and array.shape[1] != dim:
        raise ValueError(f"{name} has dimension {array.shape[1]}, must have dimension {dim} to match.")
    return array


def check_weights(name: str, weights, n: int, *, atol: float = 1e-9) -> np.ndarray:
    """Return a probability vector of length ``n``; ``None`` gives uniform weights.

    Weights must be finite, >= 0 and sum to 1 within ``atol`` (widened to n machine epsilons of
    the input's own float dtype, so float32 weights that sum to 1 in float32 are accepted):
    unnormalised weights are an error, not something to rescale silently (divide by their sum
    yourself if that is meant).
    """
    if weights is None:
        return np.full(n, 1.0 / n)
    array, eps = _real_array(name, weights)
    if eps is not None and array.ndim == 1:
        # a float32 vector that sums to 1 in float32 is off by up to ~n * 6e-8 in float64
        atol = max(atol, array.shape[0] * eps)
    if array.shape != (n,):
        raise ValueError(f"{name} has shape {array.shape}, must be ({n},) to match the points.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} holds NaN or infinite values, all weights must be finite.")
    if np.any(array < 0):
        raise ValueError(f"{name} has minimum {array.min()}, all weights must be >= 0.")
    total = float(array.sum())
    if abs(total - 1.0) > atol:
        raise ValueError(
            f"{name} sums to {total!r}, must sum to 1 (within {atol}); pass {name} / {name}.sum() to normalise."
        )
    return array


def check_choice(name: str, value, choices) -> str:
    """Raise unless ``value`` is one of ``choices``; the message lists the valid ones."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} == {value!r}, must be one of {valid}.")
    return value


# shorthands for config fields
POSITIVE_INT = Interval(numbers.Integral, 1, None, closed="left")
NON_NEGATIVE_INT = Interval(numbers.Integral, 0, None, closed="left")
POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
NON_NEGATIVE = Interval(numbers.Real, 0, None, closed="left")
# The networks compute in float32: a rate, a clip value or a penalty weight beyond its largest finite
# number cannot even be stored in a parameter's dtype (torch: "cannot be converted ... without overflow").
FLOAT32_MAX = 3.4028234663852886e38
_FLOAT32_CAP = "the largest float32, the networks' precision"
POSITIVE_FLOAT32 = Interval(numbers.Real, 0, FLOAT32_MAX, closed="right", cap=_FLOAT32_CAP)
NON_NEGATIVE_FLOAT32 = Interval(numbers.Real, 0, FLOAT32_MAX, closed="both", cap=_FLOAT32_CAP)
MAX_THREADS = 1024  # torch's CPU threads; more than any machine this course runs on has cores
THREADS = Interval(numbers.Integral, 1, MAX_THREADS, closed="both", cap="torch's CPU threads; use the cores you have")


def size(upper: int, lower: int = 1) -> Interval:
    """An integer size setting in ``[lower, upper]``: every size-like setting (a width, a batch, a
    number of samples) declares an upper bound, checked before anything is allocated."""
    return Interval(
        numbers.Integral,
        lower,
        upper,
        closed="both",
        cap="the upper bound declared for this size, checked before anything is allocated",
    )


def physical_memory() -> int | None:
    """This machine's memory in bytes (None where the system does not say)."""
    import os

    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return None


def format_bytes(count: float) -> str:
    """``1.5 GiB``, ``320 MiB``, ``12 KiB``."""
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{int(count)} bytes"


def check_memory(needed: float, what: str, fix: str, available: int | None = None) -> None:
    """Raise a ValueError, before anything is allocated, if ``needed`` bytes (an estimate) exceed
    ``available`` (default: this machine's memory): ``{what} need about 38.2 GiB, more than this
    machine's 7.7 GiB of memory; {fix}.``"""
    available = physical_memory() if available is None else available
    if available is not None and needed > available:
        raise ValueError(
            f"{what} need about {format_bytes(needed)}, more than this machine's {format_bytes(available)} "
            f"of memory; {fix}."
        )


def check_file_path(name: str, path):
    """Return ``path`` if a file can be written there: a ``str`` or ``os.PathLike`` that names a file
    (not a folder) in an existing, writable folder. Call it before the work whose result goes there,
    so that a bad path costs nothing.

    Raises
    ------
    TypeError
        ``path`` is not a path (a number, None).
    ValueError
        ``path`` is empty or an existing folder.
    FileNotFoundError, PermissionError
        Its folder does not exist, or cannot be written (the file itself, where it exists).
    """
    import os

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a file path (a str or os.PathLike), got {path!r} of type {type(path).__name__}."
        )
    text = os.fsdecode(os.fspath(path))
    if not text.strip():
        raise ValueError(f"{name} == {path!r} names no file; give a file path.")
    if os.path.isdir(text):
        raise ValueError(f"{name} == {text!r} is a folder, must be a file path inside it.")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"{name} == {text!r}: its folder {folder} does not exist; create it first, or choose another path."
        )
    if not os.access(folder, os.W_OK):
        raise PermissionError(f"{name} == {text!r}: its folder {folder} is not writable; choose another path.")
    if os.path.exists(text) and not os.access(text, os.W_OK):
        raise PermissionError(f"{name} == {text!r} exists and is not writable; choose another path.")
    return path


def setting(
    default,
    constraint,
    hint: str = "",
    *,
    help: str = "",
    flags: tuple[str, ...] = (),
    default_text: str | None = None,
):
    """A dataclass field whose metadata holds its constraint and the hint its error message
    ends with: ``clip_value: float = setting(0.01, POSITIVE, "the paper uses c = 0.01", help="c")``.
    :func:`check_constraints` reads both.

    The rest describes the setting to a reader and to the command line, whose flags are made
    from the fields (:mod:`wgan_toys.cli.settings`): ``help``, what the setting is; ``flags``, its
    command-line names where they are not ``--`` and the name with dashes (the first is the one
    error messages use); ``default_text``, the default as the help states it where the value
    alone does not say it (None meaning "the algorithm's default", a default that depends on
    the algorithm).
    """
    metadata: dict = {"constraint": constraint, "help": help}
    if hint:
        metadata["hint"] = hint
    if flags:
        metadata["flags"] = tuple(flags)
    if default_text is not None:
        metadata["default_text"] = default_text
    return dataclasses.field(default=default, metadata=metadata)
