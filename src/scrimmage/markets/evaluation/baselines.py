"""The baselines a market signal must beat, scored on the same test windows as the model.

* ``volatility``: the recent 24 h volatility as the score, no model. A fixed-percent threshold on
  forward returns is largely a volatility forecast (a volatile coin crosses +5% more often), so a
  model's AUC means little until it is read against this one.
* ``logistic``: logistic regression on the flattened window (``lookback x features``, standardised on
  the training windows) plus the symbol one-hot.
* ``lightgbm``: gradient-boosted trees on the flattened window with the symbol as a categorical feature.

The scores are cached in ``<workdir>/cache/market-baselines/`` keyed by the dataset version, the split
sizes and the options, so every run of the same data (and every recipe of one ``compare``) fits them once.

The fitted baselines train on a seeded subsample of the training windows (``max_train_windows``):
the flattened training set of 100 symbols is about 1.7M x 552 values (3.8 GB), more than a baseline
needs to show what it can do. Each baseline's decision threshold is tuned on the validation windows
(max F1 of the positive class), as the model's is.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BASELINES = ("volatility", "logistic", "lightgbm")


@dataclass
class BaselineScores:
    """Positive-class scores of one baseline on the validation and test windows."""

    name: str
    val: np.ndarray
    test: np.ndarray


def flattened(split, index: np.ndarray | None = None, chunk: int = 65_536) -> tuple[np.ndarray, np.ndarray]:
    """``x`` of the chosen windows flattened to ``[n, lookback * features]`` (float32) and their asset ids."""
    import torch

    n = len(split)
    index = np.arange(n) if index is None else np.asarray(index)
    xs, cats = [], []
    for low in range(0, len(index), chunk):
        batch = split.take(torch.as_tensor(index[low : low + chunk], dtype=torch.long))
        xs.append(batch["x"].reshape(len(batch["x"]), -1).float().numpy())
        cats.append(batch["cat"][:, 0].long().numpy())
    width = int(np.prod(split.shape("x")[1:]))
    x = np.concatenate(xs) if xs else np.zeros((0, width), np.float32)
    cat = np.concatenate(cats) if cats else np.zeros(0, np.int64)
    return x, cat


def train_subsample(n: int, limit: int, seed: int) -> np.ndarray:
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, limit, replace=False))


def fit_baselines(data, names: tuple[str, ...] = BASELINES, max_train_windows: int = 100_000, seed: int = 0,
                  lightgbm_rounds: int = 300, progress: Callable[[str], None] = lambda _: None) -> list[BaselineScores]:
    """Fit each named baseline on the training windows and score the validation and test windows."""
    out = []
    if "volatility" in names:
        out.append(BaselineScores("volatility", data.frames["val"]["vol_24h"].to_numpy(float),
                                  data.frames["test"]["vol_24h"].to_numpy(float)))
    fitted = [n for n in names if n in ("logistic", "lightgbm")]
    if not fitted:
        return out
    splits = data.splits
    y_all = splits["train"].column("y").long().numpy()
    index = train_subsample(len(y_all), max_train_windows, seed)
    progress(f"baselines: flattening {len(index):,} training windows")
    x_train, cat_train = flattened(splits["train"], index)
    y_train = y_all[index]
    x_val, cat_val = flattened(splits["val"])
    x_test, cat_test = flattened(splits["test"])
    n_assets = int(data.spec.categorical["asset"][0])
    if "logistic" in fitted:
        progress("baselines: logistic regression")
        out.append(_logistic(x_train, cat_train, y_train, (x_val, cat_val), (x_test, cat_test), n_assets, seed))
    if "lightgbm" in fitted:
        progress("baselines: LightGBM")
        y_val = splits["val"].column("y").long().numpy()
        out.append(_lightgbm(x_train, cat_train, y_train, (x_val, cat_val), (x_test, cat_test), y_val, lightgbm_rounds, seed))
    order = {name: i for i, name in enumerate(names)}
    return sorted(out, key=lambda b: order[b.name])


def _one_hot(cat: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros((len(cat), n), np.float32)
    out[np.arange(len(cat)), cat] = 1
    return out


def _logistic(x, cat, y, val, test, n_assets: int, seed: int) -> BaselineScores:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)

    def design(x_: np.ndarray, cat_: np.ndarray) -> np.ndarray:
        return np.hstack([np.nan_to_num(scaler.transform(x_)).astype(np.float32), _one_hot(cat_, n_assets)])

    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():  # lbfgs may stop at max_iter on 552 correlated columns: the fit is still usable,
        warnings.simplefilter("ignore", ConvergenceWarning)  # and a library warning is not for the user to act on
        model = LogisticRegression(C=0.1, max_iter=500, random_state=seed).fit(design(x, cat), y)
    return BaselineScores("logistic", model.predict_proba(design(*val))[:, 1], model.predict_proba(design(*test))[:, 1])


def _lightgbm(x, cat, y, val, test, y_val: np.ndarray, rounds: int, seed: int) -> BaselineScores:
    """Early-stopped on the validation windows' average precision (the metric the recipes monitor)."""
    import lightgbm as lgb

    def design(x_: np.ndarray, cat_: np.ndarray) -> np.ndarray:
        return np.hstack([x_, cat_[:, None].astype(np.float32)])

    symbol_column = x.shape[1]
    params = {"objective": "binary", "learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 200,
              "feature_fraction": 0.5, "bagging_fraction": 0.8, "bagging_freq": 1, "seed": seed,
              "metric": "average_precision", "num_threads": 0, "verbose": -1}
    train = lgb.Dataset(design(x, cat), y, categorical_feature=[symbol_column])
    x_val = design(*val)
    valid = lgb.Dataset(x_val, y_val, reference=train)
    booster = lgb.train(params, train, num_boost_round=rounds, valid_sets=[valid],
                        callbacks=[lgb.early_stopping(30, verbose=False)])
    return BaselineScores("lightgbm", booster.predict(x_val, num_iteration=booster.best_iteration),
                          booster.predict(design(*test), num_iteration=booster.best_iteration))


def cache_key(data, names: tuple[str, ...], max_train_windows: int, seed: int, lightgbm_rounds: int) -> str:
    """What the baseline scores depend on: the data's version and split sizes, and the options."""
    key = {"version": data.version, "windows": {k: len(v) for k, v in data.splits.items()}, "names": list(names),
           "max_train_windows": max_train_windows, "seed": seed, "lightgbm_rounds": lightgbm_rounds}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def cached_baselines(data, workdir: Path, names: tuple[str, ...] = BASELINES, max_train_windows: int = 100_000,
                     seed: int = 0, lightgbm_rounds: int = 300,
                     progress: Callable[[str], None] = lambda _: None) -> list[BaselineScores]:
    """:func:`fit_baselines`, read from the cache when the same data and options were scored before."""
    from scrimmage.io import atomic_path

    path = Path(workdir) / "cache" / "market-baselines" / f"{cache_key(data, names, max_train_windows, seed, lightgbm_rounds)}.npz"
    sizes = (len(data.splits["val"]), len(data.splits["test"]))
    if path.is_file():
        try:
            with np.load(path) as saved:
                found = [BaselineScores(n, saved[f"{n}/val"], saved[f"{n}/test"]) for n in names]
            if all((len(b.val), len(b.test)) == sizes for b in found):
                progress(f"baselines: read from {path}")
                return found
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # damaged or foreign: fit again
            pass
    fitted = fit_baselines(data, names, max_train_windows, seed, lightgbm_rounds, progress)
    try:
        with atomic_path(path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **{f"{b.name}/{part}": getattr(b, part) for b in fitted for part in ("val", "test")})
    except OSError as exc:  # a read-only workdir: the report goes on without a cache
        progress(f"baselines: not cached ({exc})")
    return fitted
