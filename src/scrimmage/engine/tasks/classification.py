"""Classification on logits: binary (one logit), multi-class (softmax) and multi-label (one sigmoid per label).

Inputs are standardised per feature; targets are not (they are classes). ``y`` holds class
indices (binary, multi-class) or 0/1 per label (multi-label). Class weights are either given or
"balanced" (inverse training frequency, ``n / (K * count)``). Baseline: the training class
frequencies (the majority class as the pick).

Binary mode has a decision threshold on P(positive): ``tuned`` (the default) sets it on every
evaluation of the validation split (``prefix == "val"``: the epoch's validation, SWA's) to the
value with the highest F1 of the positive class there, and uses it unchanged on any other split.
It is the task's checkpointed state (:class:`~scrimmage.engine.tasks.base.Stateful`), so the
checkpoint that is tested, ``predict`` and exports decide with the threshold of the epoch whose
weights they hold. Accuracy, precision, recall and F1 are reported at that threshold and at 0.5
(``f1_at_0.5`` ...): with focal loss or class weights the probabilities are not calibrated and
the two differ a lot. Ranking quality needs no threshold: ROC-AUC (``auroc``) and PR-AUC
(``pr_auc``, average precision), the one to watch on rare positives.

Sequences: targets with a time axis (``[N, T]`` class indices, ``[N, T, L]`` multi-label) with a
per-step model output are scored on real steps only (``mask``), each real step a row; targets
without one (``[N]`` / ``[N, L]``) go with a pooled output (see :mod:`scrimmage.engine.tasks.scaling`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import DataBundle, InputSpec
from scrimmage.data.splits import Split
from scrimmage.engine.tasks.base import Evaluation, Report, named
from scrimmage.engine.tasks.metric_names import AT_HALF, classification_metric_names
from scrimmage.engine.tasks.scaling import Standardized, mask_key, real_steps, real_targets, unwrap
from scrimmage.errors import ConfigError, DataError
from scrimmage.metrics.classification import (
    average_precision,
    best_f1_threshold,
    binary_metrics,
    confusion_matrix,
    log_loss,
    multiclass_metrics,
    threshold_metrics,
)

COLUMNS = {"n": "n", "accuracy": "accuracy", "log_loss": "log loss", "macro_f1": "macro F1", "auroc": "AUROC", "ece": "ECE"}
BINARY_COLUMNS = {
    "pr_auc": "PR-AUC", "auroc": "ROC-AUC", "f1": "F1", f"f1{AT_HALF}": "F1 @0.5", "threshold": "threshold",
    "precision": "precision", "recall": "recall", "accuracy": "accuracy", "log_loss": "log loss", "ece": "ECE", "n": "n",
}
"""A binary report leads with ranking quality and the F1 of the positive class at both thresholds."""
DEFAULT_THRESHOLD = 0.5


class ClassificationTask:
    name = "classification"

    def __init__(self, spec: InputSpec, mode: str, class_weights: str | list[float], ece_bins: int,
                 threshold: str | float = "tuned"):
        if not spec.class_names:
            raise DataError("the dataset gives no class_names; a classification task needs them (InputSpec.class_names)")
        self.spec = spec
        self.classes = spec.class_names
        if mode == "auto":
            mode = "multilabel" if len(spec.target_names) > 1 else ("binary" if len(self.classes) == 2 else "multiclass")
        self.mode = mode
        self.class_weights_option = class_weights
        self.ece_bins = ece_bins
        self.loss: Any = None
        self.class_weights: tuple[float, ...] | None = None
        self.tunes_threshold = threshold == "tuned"
        self.threshold = DEFAULT_THRESHOLD if self.tunes_threshold else float(threshold)
        """Binary: P(positive) at or above it is a positive decision (tuned on the validation split, or fixed)."""

    @property
    def target_dims(self) -> int:
        """Rank of one example's target without a time axis: 1 for multi-label (0/1 per label), else 0 (a class id)."""
        return 1 if self.mode == "multilabel" else 0

    def n_outputs(self) -> int:
        return 1 if self.mode == "binary" else len(self.classes)

    def default_loss(self) -> dict[str, Any]:
        return {"name": "cross_entropy"}

    def build_model(self, net: nn.Module, train: Split | None) -> nn.Module:
        model = Standardized(net, self.spec.n_features, None)
        if train is not None:
            model.fit_split(train)
        return model

    def setup_training(self, loss_config: Any, train: Split) -> None:
        from scrimmage.losses.configs import LossInfo

        if getattr(loss_config, "kind", "") != "classification":
            raise ConfigError(f"loss.name '{loss_config.name}' is not a classification loss; use cross_entropy, focal "
                              "or weighted_bce.")
        y = real_targets(train, self.target_dims)
        self._check_targets(y, "train")
        self.class_weights = self._class_weights(y)
        counts = y.float().sum(0) if self.mode == "multilabel" else torch.bincount(y.long(), minlength=len(self.classes))
        self.loss = loss_config.build(LossInfo(self.mode, self.spec.target_names, self.classes, self.class_weights,
                                               tuple(float(c) for c in counts), len(y)))

    def _check_targets(self, y: Tensor, split: str) -> None:
        if self.mode == "multilabel":
            if y.dim() != 2 or y.shape[1] != len(self.classes):
                raise DataError(f"multi-label targets must be [N, {len(self.classes)}], got {list(y.shape)} in {split}")
            return
        if y.dim() != 1 or (y.dtype.is_floating_point and not torch.equal(y, y.round())):
            raise DataError(f"{self.mode} targets must be class indices of shape [N], got {list(y.shape)} {y.dtype} in {split}")
        if len(y) and (int(y.min()) < 0 or int(y.max()) >= len(self.classes)):
            raise DataError(f"{split} targets hold class ids outside 0..{len(self.classes) - 1} ({list(self.classes)})")

    def _class_weights(self, y: Tensor) -> tuple[float, ...] | None:
        option = self.class_weights_option
        if option == "none":
            return None
        if isinstance(option, list):
            if len(option) != len(self.classes):
                raise ConfigError(f"task.class_weights has {len(option)} values for {len(self.classes)} classes {list(self.classes)}")
            return tuple(float(w) for w in option)
        counts = y.float().sum(0) if self.mode == "multilabel" else torch.bincount(y.long(), minlength=len(self.classes)).float()
        if self.mode == "multilabel":  # positive weight per label: negatives / positives
            return tuple(float(w) for w in ((len(y) - counts) / counts.clamp_min(1)))
        weights = len(y) / (len(self.classes) * counts.clamp_min(1))
        return tuple(float(w) for w in weights)

    def prepare(self, model: nn.Module, split: Split) -> Split:
        scaler = unwrap(model)
        with torch.no_grad():
            return split.standardized("x", scaler.x_mean, scaler.x_std)

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        return self.loss(*real_steps(model(batch, prepared=True), batch["y"], batch.get("mask"), self.target_dims))

    def metric_names(self, prefix: str = "val") -> list[str]:
        return classification_metric_names(self.mode == "binary", prefix)

    # ---- Stateful: the decision threshold goes with the weights it was tuned for ----------------
    def state_dict(self) -> dict[str, Any]:
        return {"threshold": self.threshold} if self.mode == "binary" else {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.mode == "binary" and "threshold" in state:
            self.threshold = float(state["threshold"])

    def probabilities(self, logits: Tensor) -> Tensor:
        logits = logits.float()
        if self.mode == "multiclass":
            return torch.softmax(logits, dim=-1)
        prob = torch.sigmoid(logits)
        return torch.cat([1 - prob, prob], dim=1) if self.mode == "binary" else prob

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: Split, batch_size: int, prefix: str) -> Evaluation:
        logits = [model(batch).float() for batch in split.batches(batch_size)]
        out = torch.cat(logits) if logits else torch.empty(0, self.n_outputs())
        mask = mask_key(split)
        out, target = real_steps(out, split.column("y"), split.column(mask) if mask else None, self.target_dims)
        metrics: dict[str, float] = {}
        if self.loss is not None and len(target):
            metrics["loss"] = float(self.loss(out, target)[0])
        prob = self.probabilities(out)
        if self.mode == "binary" and self.tunes_threshold and prefix == "val" and len(target):
            best = best_f1_threshold(prob[:, 1].numpy(), target.long().numpy())
            self.threshold = DEFAULT_THRESHOLD if best is None else best
        metrics.update(self.score(prob, target))
        return Evaluation(named(metrics, prefix), prob, target)

    def score(self, prob: Tensor, target: Tensor) -> dict[str, float]:
        """Metrics of probabilities against targets (binary decisions at the task's current threshold)."""
        if self.mode == "multilabel":
            per_label = [binary_metrics(prob[:, k].numpy(), target[:, k].numpy()) for k in range(len(self.classes))]
            keys = ("accuracy", "auroc", "ece", "f1")
            out = {k: float(np.nanmean([m.get(k, float("nan")) for m in per_label])) for k in keys}
            out["macro_f1"] = out.pop("f1")
            eps = 1e-7
            p = prob.clamp(eps, 1 - eps)
            out["log_loss"] = float(-(target * p.log() + (1 - target) * (1 - p).log()).mean())
            return out
        out = multiclass_metrics(prob, target.long(), self.ece_bins)
        if self.mode == "binary" and len(target):
            positive, truth = prob[:, 1].numpy(), target.long().numpy()
            out["brier"] = float(((prob[:, 1] - target.float()) ** 2).mean())
            out["pr_auc"] = average_precision(positive, truth)
            out |= {f"{k}{AT_HALF}": v for k, v in threshold_metrics(positive, truth, DEFAULT_THRESHOLD).items()}
            out |= threshold_metrics(positive, truth, self.threshold)  # accuracy, precision, recall, f1 as decided
            out["threshold"] = self.threshold
        return out

    def report(self, data: DataBundle, split: str, evaluation: Evaluation) -> Report:
        prefix = f"{split}/"
        n = len(evaluation.targets)
        model_row = {k.removeprefix(prefix): v for k, v in evaluation.metrics.items()} | {"n": n}
        rows = {"model": model_row}
        extras: dict[str, Any] = {"classes": list(self.classes), "ece_bins": self.ece_bins}
        if self.mode != "multilabel":
            train_y = real_targets(data.splits["train"], self.target_dims).long()
            freq = torch.bincount(train_y, minlength=len(self.classes)).float()
            freq = freq / freq.sum()
            prior = freq.expand(n, -1).clone()
            rows["majority"] = self.score(prior, evaluation.targets.long()) | {"n": n}
            rows["majority"]["log_loss"] = log_loss(prior, evaluation.targets.long())
            extras["confusion_matrix"] = confusion_matrix(self.decisions(evaluation.predictions), evaluation.targets.long(),
                                                          len(self.classes))
        if self.mode == "binary":
            rows["majority"].pop("threshold", None)  # a constant score has no threshold of its own
            extras["threshold"] = self.threshold
            return Report(f"{split} set", rows, dict(BINARY_COLUMNS), rank_by="pr_auc", lower_is_better=False,
                          extras=extras, notes=[f"decision threshold {self.threshold:.4g} on P({self.classes[1]}) "
                                                f"({'tuned on validation, max F1' if self.tunes_threshold else 'fixed'}); "
                                                "F1 @0.5 decides at 0.5"])
        return Report(f"{split} set", rows, dict(COLUMNS), rank_by="log_loss", extras=extras)

    def decisions(self, prob: Tensor) -> Tensor:
        """Class ids decided from probabilities ``[N, K]``: the threshold in binary mode, else the most probable class."""
        if self.mode == "binary":
            return (prob[:, 1] >= self.threshold).long()
        return prob.argmax(1)

    def prediction_columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        target = evaluation.targets.cpu().numpy()
        names = np.asarray(self.classes, dtype=object)
        if self.mode == "multilabel":
            truth = {f"{c}": target[:, i] for i, c in enumerate(self.classes)}
        else:
            truth = {"label": names[target.astype(np.int64)]}
        return truth | self.decode_probabilities(evaluation.predictions)

    def decode(self, outputs: Tensor) -> dict[str, np.ndarray]:
        if outputs.dim() > 2:  # per-step logits [N, T, C]: one row per step, padded ones included (the caller's mask drops them)
            outputs = outputs.flatten(0, -2)
        return self.decode_probabilities(self.probabilities(outputs))

    def decode_probabilities(self, prob: Tensor) -> dict[str, np.ndarray]:
        values = prob.detach().float().cpu().numpy()
        out: dict[str, np.ndarray] = {}
        if self.mode == "binary":
            out["pred"] = np.asarray(self.classes, dtype=object)[(values[:, 1] >= self.threshold).astype(np.int64)]
        elif self.mode != "multilabel":
            out["pred"] = np.asarray(self.classes, dtype=object)[values.argmax(1)]
        out |= {f"prob_{c}": values[:, i] for i, c in enumerate(self.classes)}
        return out
