"""``--plot FILE``: the simulated margin distribution as a picture.

A histogram of home-minus-away margins with one bar per point, the mean marked, and given a
spread, the line the home side must beat to cover (at ``-spread``: a home spread of -3.5 means the
home side covers with a margin above 3.5); the real result when there is one. PNG, PDF or SVG by
the file's suffix. matplotlib is imported only here, when a plot is asked for, and drawn on a bare
:class:`~matplotlib.figure.Figure` (the Agg canvas, no pyplot and no display). The file is
written atomically: to a temporary file in the same folder, then renamed over the target, so a
failure leaves no half-written picture. :func:`check_plot_path` checks the path before any
simulating starts.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np

from scrimmage.errors import ArgumentError

SUFFIXES = (".png", ".pdf", ".svg")


def check_plot_path(path: str | os.PathLike[str]) -> Path:
    """The ``--plot`` target, checked: not a folder, a known suffix, an existing writable folder."""
    target = Path(path).expanduser()
    if str(path).endswith(("/", os.sep)) or target.is_dir():
        raise ArgumentError(f"--plot {path}: that is a folder; give a file name such as {target / 'margin.png'}")
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        got = f"'{target.suffix}'" if target.suffix else "no suffix"
        raise ArgumentError(f"--plot {path}: the file must end in .png, .pdf or .svg (got {got}), e.g. margin.png")
    folder = target.parent
    if not folder.exists():
        raise ArgumentError(f"--plot {path}: the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise ArgumentError(f"--plot {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ArgumentError(f"--plot {path}: cannot write in the folder {folder} (permission denied)")
    return target


def plot_margin(
    path: str | os.PathLike[str],
    margin: np.ndarray,
    *,
    home: str,
    away: str,
    title: str,
    spread: float | None = None,
    real_margin: float | None = None,
) -> Path:
    """Draw the histogram of ``margin`` (home minus away, one value per simulated game) to ``path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    target = check_plot_path(path)
    values = np.asarray(margin, dtype=np.float64)
    if values.size == 0:
        raise ArgumentError("--plot: there are no simulated games to draw")
    lo, hi = int(np.floor(values.min())), int(np.ceil(values.max()))
    if spread is not None:
        lo, hi = min(lo, int(np.floor(-spread)) - 1), max(hi, int(np.ceil(-spread)) + 1)
    if real_margin is not None:
        lo, hi = min(lo, int(real_margin) - 1), max(hi, int(real_margin) + 1)
    bins = np.arange(lo - 0.5, hi + 1.5, 1.0)

    fig = Figure(figsize=(10, 5.5), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    weights = np.full(values.shape, 100.0 / values.size)
    ax.hist(values, bins=bins, weights=weights, color="#4C72B0", alpha=0.85, edgecolor="none")
    home_win, away_win, tie = (values > 0).mean(), (values < 0).mean(), (values == 0).mean()
    ax.axvline(0, color="0.4", linewidth=0.8)
    mean = float(values.mean())
    ax.axvline(mean, color="#DD8452", linestyle="--", linewidth=1.8, label=f"mean margin {mean:+.1f}")
    if spread is not None:
        covers = float((values + spread > 0).mean())
        ax.axvline(-spread, color="#C44E52", linewidth=1.8,
                   label=f"spread {home} {spread:+g}: {home} covers right of {-spread:+g} ({covers:.1%})")
    if real_margin is not None:
        ax.axvline(real_margin, color="#55A868", linewidth=1.8, label=f"real result {real_margin:+g}")
    ax.set_xlabel(f"margin: {home} points minus {away} points")
    ax.set_ylabel("share of simulated games (%)")
    ax.set_title(title, fontsize=10, loc="left")
    ax.text(0.99, 0.97, f"{home} win {home_win:.1%}\n{away} win {away_win:.1%}\ntie {tie:.1%}",
            transform=ax.transAxes, ha="right", va="top", fontsize=9,
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.8"})
    ax.legend(loc="upper left", fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    _save(fig, target)
    return target


def _save(fig: object, target: Path) -> None:
    """Write ``fig`` atomically: a temporary file beside ``target``, then ``os.replace``."""
    from scrimmage.io import FILE_MODE

    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            fig.savefig(handle, format=target.suffix.lower().lstrip("."))  # type: ignore[attr-defined]
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
