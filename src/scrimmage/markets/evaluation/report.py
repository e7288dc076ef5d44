"""``market-baselines``: the model beside the volatility score, logistic regression and LightGBM on the same
test windows, with day-block bootstrap intervals, per-symbol AUC spread and a plain verdict.

Every row is scored the same way: ROC-AUC and PR-AUC (threshold-free, with 95% intervals from
resampling whole test days), then F1, precision and recall at the row's own threshold tuned on the
validation windows. The verdict compares PR-AUC with a *paired* day bootstrap of the difference
(model minus baseline, the same resampled days for both), which is what "beats it by more than the
interval" means.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scrimmage.markets.evaluation.baselines import cached_baselines
from scrimmage.markets.evaluation.intervals import day_bootstrap, paired_difference, per_group_auc
from scrimmage.markets.evaluation.thresholds import at_threshold, best_f1_threshold

COLUMNS = {
    "pr_auc": "PR-AUC", "pr_auc_ci": "PR-AUC 95% CI", "roc_auc": "ROC-AUC", "roc_auc_ci": "ROC-AUC 95% CI",
    "f1": "F1+", "precision": "precision", "recall": "recall", "threshold": "threshold", "f1_at_0.5": "F1+ @0.5",
    "symbol_auc_median": "symbol AUC p50", "symbol_auc_p10": "p10", "symbol_auc_p90": "p90", "n": "windows",
}


def _row(scores: np.ndarray, labels: np.ndarray, days: np.ndarray, symbols: np.ndarray, threshold: float,
         n_boot: int, seed: int) -> dict[str, Any]:
    ci = day_bootstrap(scores, labels, days, n=n_boot, seed=seed)
    spread = per_group_auc(scores, labels, symbols)
    row: dict[str, Any] = {"n": len(labels)}
    for name in ("roc_auc", "pr_auc"):
        row[name] = ci[name].value
        row[f"{name}_low"], row[f"{name}_high"] = ci[name].low, ci[name].high
        row[f"{name}_ci"] = f"{ci[name].low:.3f}-{ci[name].high:.3f}"
    row |= at_threshold(scores, labels, threshold)
    row |= {"symbol_auc_median": spread["median"], "symbol_auc_p10": spread["p10"], "symbol_auc_p90": spread["p90"]}
    return row


def market_report(ctx: Any, report: Any, *, baselines: tuple[str, ...], bootstrap: int, seed: int,
                  max_train_windows: int, lightgbm_rounds: int) -> Any:
    data = ctx.data
    test = data.frames["test"]
    labels = ctx.evaluation.targets.long().numpy()
    days = test["time"].dt.floor("D").to_numpy()
    symbols = test["symbol"].to_numpy()
    model_scores = ctx.evaluation.predictions[:, 1].float().numpy()
    model_threshold = float(report.rows["model"].get("threshold", 0.5))

    rows = {"model": report.rows["model"] | _row(model_scores, labels, days, symbols, model_threshold, bootstrap, seed)}
    scores = {"model": model_scores}
    val_labels = data.splits["val"].column("y").long().numpy()
    for baseline in cached_baselines(data, ctx.workdir, baselines, max_train_windows, seed, lightgbm_rounds, ctx.print):
        threshold = best_f1_threshold(baseline.val, val_labels)
        rows[baseline.name] = _row(baseline.test, labels, days, symbols, threshold, bootstrap, seed)
        if baseline.name != "volatility":  # a probability: its F1 at 0.5 means what the model's does
            rows[baseline.name]["f1_at_0.5"] = at_threshold(baseline.test, labels, 0.5)["f1"]
        scores[baseline.name] = baseline.test
    report.rows = rows
    report.columns = dict(COLUMNS)
    report.rank_by, report.lower_is_better = "pr_auc", False

    base_rate = float(labels.mean()) if len(labels) else float("nan")
    verdicts = {}
    for name in scores:
        if name == "model":
            continue
        diff = paired_difference(model_scores, scores[name], labels, days, n=bootstrap, seed=seed)["pr_auc"]
        verdicts[name] = diff.to_dict() | {"beats": diff.low > 0, "loses": diff.high < 0}
    report.extras["market"] = {"base_rate": base_rate, "test_days": len(np.unique(days)),
                               "bootstrap": bootstrap, "pr_auc_difference": verdicts}
    report.notes.append(f"test base rate {base_rate:.3f} over {len(np.unique(days))} days (a random score's PR-AUC); "
                        f"intervals: {bootstrap} resamples of whole days")
    for name, v in verdicts.items():
        word = "beats" if v["beats"] else ("loses to" if v["loses"] else "does not separate from")
        report.notes.append(f"model {word} {name} on PR-AUC: difference {v['value']:+.4f} "
                            f"(95% CI {v['low']:+.4f} to {v['high']:+.4f})")
    return report
