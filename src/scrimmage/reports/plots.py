"""The generic pictures, drawn with matplotlib's object API on the Agg canvas (no pyplot, no GUI state).

Every function takes plain arrays and returns a :class:`~scrimmage.reports.page.Figure` holding a PNG
as a ``data:`` URI. The curves are computed here with numpy (a ROC curve is a sort and two cumulative
sums) rather than through scikit-learn, so drawing a report imports neither it nor torch.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from scrimmage.reports.page import Figure

WIDTH, HEIGHT, DPI = 5.4, 3.7, 96
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22")


def new(width: float = WIDTH, height: float = HEIGHT, ncols: int = 1) -> tuple[Any, Any]:
    """A figure and its axes (a list when ``ncols`` > 1), on an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=True)
    for ax in np.atleast_1d(axes):
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.tick_params(labelsize=8)
    return fig, axes


def done(fig: Any, title: str, caption: str = "", name: str = "") -> Figure:
    """Render ``fig`` to an inline PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return Figure(title=title, uri=uri, caption=caption, name=name or _slug(title))


def png_bytes(figure: Figure) -> bytes:
    return base64.b64decode(figure.uri.split(",", 1)[1])


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:60] or "figure"


def learning_curves(history: Any, monitor: str, labels: Sequence[str] = (), runs: Sequence[Any] = ()) -> list[Figure]:
    """Train/val loss by epoch and the monitored metric by epoch; with ``runs`` (several histories) overlaid."""
    frames = list(runs) or [history]
    names = list(labels) or [""]
    fig, (loss_ax, metric_ax) = new(WIDTH * 2, HEIGHT, ncols=2)
    drawn = False
    for i, frame in enumerate(frames):
        if frame is None or len(frame) == 0 or "epoch" not in frame:
            continue
        color = COLORS[i % len(COLORS)]
        prefix = f"{names[i]} " if len(frames) > 1 else ""
        epoch = frame["epoch"].to_numpy(float)
        for key, style in (("train/loss", "-"), ("val/loss", "--")):
            if key in frame and frame[key].notna().any():
                loss_ax.plot(epoch, frame[key].to_numpy(float), style, color=color, marker=".", ms=4, lw=1.4,
                             label=f"{prefix}{key.split('/')[0]}")
                drawn = True
        if monitor in frame and frame[monitor].notna().any():
            metric_ax.plot(epoch, frame[monitor].to_numpy(float), "-", color=color, marker=".", ms=4, lw=1.4,
                           label=prefix.strip() or monitor)
    if not drawn:
        return []
    loss_ax.set(xlabel="epoch", ylabel="loss", title="loss by epoch")
    metric_ax.set(xlabel="epoch", ylabel=monitor, title=f"monitored: {monitor}")
    for ax in (loss_ax, metric_ax):
        ax.xaxis.get_major_locator().set_params(integer=True)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="best")
    caption = "solid: training loss, dashed: validation loss (left); the metric early stopping and checkpoints watch (right)"
    return [done(fig, "learning curves", caption, "learning_curves")]


def roc_points(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, float, float]:
    """FPR, TPR (ROC), recall, precision (PR) over every threshold; ROC-AUC (trapezoid) and average precision."""
    order = np.argsort(-score, kind="mergesort")
    y, score = y[order].astype(float), score[order]
    distinct = np.r_[np.flatnonzero(np.diff(score)), len(score) - 1]
    tps = np.cumsum(y)[distinct]
    fps = (distinct + 1) - tps
    pos, neg = max(tps[-1], 1e-12), max(fps[-1], 1e-12)
    tpr, fpr = np.r_[0.0, tps / pos], np.r_[0.0, fps / neg]
    precision = tps / (tps + fps)
    recall = tps / pos
    auc = float(np.trapezoid(tpr, fpr))
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    return fpr, tpr, np.r_[0.0, recall], np.r_[1.0, precision], auc, ap


def roc_pr(y: np.ndarray, score: np.ndarray, positive: str, threshold: float | None = None) -> list[Figure]:
    """ROC and precision-recall curves of a binary score, with the chance lines."""
    if len(np.unique(y)) < 2:
        return []
    fpr, tpr, recall, precision, auc, ap = roc_points(y, score)
    base_rate = float(np.mean(y))
    fig, (roc, pr) = new(WIDTH * 2, HEIGHT, ncols=2)
    roc.plot(fpr, tpr, color=COLORS[0], lw=1.6, label=f"model (AUC {auc:.3f})")
    roc.plot([0, 1], [0, 1], ":", color="#888", lw=1, label="chance")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC", xlim=(0, 1), ylim=(0, 1.01))
    pr.plot(recall, precision, color=COLORS[1], lw=1.6, drawstyle="steps-post", label=f"model (AP {ap:.3f})")
    pr.axhline(base_rate, ls=":", color="#888", lw=1, label=f"base rate {base_rate:.3f}")
    if threshold is not None:
        predicted = score >= threshold
        tp = float(np.sum(predicted & (y == 1)))
        if predicted.any():
            pr.plot([tp / max(np.sum(y == 1), 1)], [tp / predicted.sum()], "o", color="k", ms=5,
                    label=f"threshold {threshold:.3g}")
    pr.set(xlabel="recall", ylabel="precision", title="precision-recall", xlim=(0, 1), ylim=(0, 1.01))
    for ax in (roc, pr):
        ax.legend(fontsize=7, loc="lower right" if ax is roc else "upper right")
    caption = (f"positive class '{positive}', {len(y):,} test examples, {int(np.sum(y)):,} positive; with rare positives "
               "read the PR curve against its base rate")
    return [done(fig, "ROC and precision-recall curves", caption, "roc_pr")]


def confusion(matrix: Sequence[Sequence[float]], classes: Sequence[str], title: str = "confusion matrix",
              name: str = "") -> Figure:
    """Counts with the row share (recall of each true class) in each cell."""
    counts = np.asarray(matrix, dtype=float)
    k = len(classes)
    size = min(3.2 + 0.45 * k, 9.0)
    fig, ax = new(size + 1.0, size)
    shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.grid(False)
    ax.set_xticks(range(k), [str(c) for c in classes], rotation=45 if k > 4 else 0, ha="right" if k > 4 else "center")
    ax.set_yticks(range(k), [str(c) for c in classes])
    ax.set(xlabel="predicted", ylabel="true", title=title)
    if k <= 12:
        for i in range(k):
            for j in range(k):
                ax.text(j, i, f"{int(counts[i, j]):,}\n{shares[i, j]:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if shares[i, j] > 0.6 else "black")
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the true class")
    total = counts.sum()
    caption = f"{int(total):,} examples; accuracy {np.trace(counts) / max(total, 1):.3f}; cells: count and share of the row"
    return done(fig, title, caption, name or _slug(title))


def reliability(y: np.ndarray, prob: np.ndarray, bins: int = 10, title: str = "calibration (reliability)",
                what: str = "predicted probability", outcome: str = "observed frequency") -> Figure:
    """Observed frequency against the mean predicted probability per equal-count bin, with counts."""
    order = np.argsort(prob, kind="mergesort")
    groups = [g for g in np.array_split(order, min(bins, max(len(prob), 1))) if len(g)]
    mean_p = np.array([prob[g].mean() for g in groups])
    freq = np.array([y[g].mean() for g in groups])
    sizes = np.array([len(g) for g in groups])
    ece = float(np.sum(sizes * np.abs(freq - mean_p)) / max(sizes.sum(), 1))
    fig, ax = new()
    ax.plot([0, 1], [0, 1], ":", color="#888", lw=1, label="perfect calibration")
    ax.plot(mean_p, freq, "o-", color=COLORS[0], ms=4, lw=1.4, label=f"model (ECE {ece:.3f})")
    ax.set(xlabel=what, ylabel=outcome, title=title, xlim=(0, 1), ylim=(0, 1))
    hist = ax.twinx()
    hist.hist(prob, bins=20, range=(0, 1), color="#999", alpha=0.25)
    hist.set_ylabel("examples", fontsize=8)
    hist.tick_params(labelsize=7)
    ax.legend(fontsize=7, loc="upper left")
    caption = f"{len(groups)} equal-count bins of {len(prob):,} predictions; grey: how many predictions fall where"
    return done(fig, title, caption, _slug(title))


def residuals(actual: np.ndarray, predicted: np.ndarray, target: str) -> Figure:
    """Residual (actual - predicted) against the prediction, with the binned mean residual."""
    keep = np.isfinite(actual) & np.isfinite(predicted)
    actual, predicted = actual[keep], predicted[keep]
    residual = actual - predicted
    fig, ax = new()
    ax.scatter(predicted, residual, s=6, alpha=0.35 if len(residual) < 3000 else 0.12, color=COLORS[0], linewidths=0)
    ax.axhline(0, color="#444", lw=1)
    if len(predicted) >= 20:
        order = np.argsort(predicted)
        groups = np.array_split(order, 10)
        ax.plot([predicted[g].mean() for g in groups], [residual[g].mean() for g in groups], "o-", color=COLORS[1],
                ms=4, lw=1.4, label="mean residual per prediction decile")
        ax.legend(fontsize=7)
    rmse = float(np.sqrt(np.mean(residual**2))) if len(residual) else float("nan")
    ax.set(xlabel=f"predicted {target}", ylabel=f"actual - predicted {target}", title=f"residuals: {target}")
    caption = (f"{len(residual):,} test examples; RMSE {rmse:.4g}, mean residual {residual.mean():.3g}; a sloped red line "
               "means predictions are too extreme or too timid")
    return done(fig, f"residuals: {target}", caption, f"residuals_{_slug(target)}")


def bars(groups: dict[str, dict[str, float]], title: str, ylabel: str, caption: str = "") -> Figure:
    """Grouped bars: ``groups[series][category] = value`` (e.g. real and simulated per statistic)."""
    series = list(groups)
    categories = list(dict.fromkeys(c for values in groups.values() for c in values))
    fig, ax = new(max(WIDTH, 1.0 + 0.55 * len(categories) * max(len(series), 1) / 2), HEIGHT)
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(categories))
    for i, name in enumerate(series):
        values = [groups[name].get(c, np.nan) for c in categories]
        ax.bar(x + (i - (len(series) - 1) / 2) * width, values, width, label=name, color=COLORS[i % len(COLORS)])
    ax.set_xticks(x, categories, rotation=30 if len(categories) > 5 else 0, ha="right" if len(categories) > 5 else "center",
                  fontsize=8)
    ax.set(ylabel=ylabel, title=title)
    if len(series) > 1:
        ax.legend(fontsize=7)
    return done(fig, title, caption, _slug(title))


def histogram_vs_normal(values: np.ndarray, sigma: float, title: str, xlabel: str, caption: str = "") -> Figure:
    """A histogram of errors with the normal density of standard deviation ``sigma`` over it."""
    values = values[np.isfinite(values)]
    fig, ax = new()
    ax.hist(values, bins=30, density=True, color=COLORS[0], alpha=0.6, label=f"errors (sd {values.std():.3g})")
    grid = np.linspace(values.min() - 1, values.max() + 1, 200) if len(values) else np.linspace(-1, 1, 2)
    ax.plot(grid, np.exp(-0.5 * (grid / sigma) ** 2) / (sigma * np.sqrt(2 * np.pi)), color=COLORS[1], lw=1.5,
            label=f"normal, sd {sigma:g}")
    ax.set(xlabel=xlabel, ylabel="density", title=title)
    ax.legend(fontsize=7)
    return done(fig, title, caption, _slug(title))
