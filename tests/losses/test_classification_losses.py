"""Classification losses against hand computations: focal (torchvision's sigmoid_focal_loss formula for binary),
weighted BCE (N / N_pos, N / N_neg), and the config errors when two class weightings would multiply."""

from __future__ import annotations

import math

import pytest
import torch

import tests.models.asset_windows  # noqa: F401  (registers the synthetic-asset-windows dataset)
from scrimmage.config.registry import LOSSES
from scrimmage.errors import ConfigError
from scrimmage.losses.configs import LossInfo

LOGITS = torch.tensor([[2.0], [-1.0], [0.5], [-3.0], [0.0]])
TARGET = torch.tensor([1, 0, 0, 1, 1])


def binary(**extra) -> LossInfo:
    return LossInfo("binary", ("label",), ("no", "yes"), **extra)


def sigmoid_focal_by_hand(logits: list[float], targets: list[int], alpha: float, gamma: float) -> float:
    """torchvision.ops.sigmoid_focal_loss(reduction="mean"), written out term by term."""
    total = 0.0
    for x, y in zip(logits, targets, strict=True):
        p = 1 / (1 + math.exp(-x))
        ce = -(y * math.log(p) + (1 - y) * math.log(1 - p))
        p_t = p * y + (1 - p) * (1 - y)
        alpha_t = alpha * y + (1 - alpha) * (1 - y)
        total += alpha_t * ce * (1 - p_t) ** gamma
    return total / len(logits)


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (0.75, 2.0), (0.5, 0.0), (0.9, 1.5)])
def test_binary_focal_is_torchvisions_sigmoid_focal_loss(alpha, gamma):
    loss = LOSSES.validate({"name": "focal", "alpha": alpha, "gamma": gamma}).build(binary())
    total, parts = loss(LOGITS, TARGET)
    expected = sigmoid_focal_by_hand(LOGITS.flatten().tolist(), TARGET.tolist(), alpha, gamma)
    assert float(total) == pytest.approx(expected, rel=1e-6)
    assert float(parts) == pytest.approx(expected, rel=1e-6)


def test_alpha_weighs_the_positive_class_and_one_minus_alpha_the_negative():
    positive = LOSSES.validate({"name": "focal", "alpha": 0.8, "gamma": 0.0}).build(binary())
    plain = torch.nn.functional.binary_cross_entropy_with_logits
    logit = torch.tensor([[0.3]])
    assert float(positive(logit, torch.tensor([1]))[0]) == pytest.approx(0.8 * float(plain(logit, torch.ones(1, 1))))
    assert float(positive(logit, torch.tensor([0]))[0]) == pytest.approx(0.2 * float(plain(logit, torch.zeros(1, 1))))


def test_focal_without_alpha_uses_the_task_class_weights_as_before():
    loss = LOSSES.validate({"name": "focal", "gamma": 2.0}).build(binary(class_weights=(0.5, 2.0)))
    by_hand = 0.0
    for x, y in zip(LOGITS.flatten().tolist(), TARGET.tolist(), strict=True):
        p = 1 / (1 + math.exp(-x))
        p_t = p if y else 1 - p
        by_hand += (2.0 if y else 0.5) * -math.log(p_t) * (1 - p_t) ** 2
    assert float(loss(LOGITS, TARGET)[0]) == pytest.approx(by_hand / 5, rel=1e-6)


def test_multiclass_focal_is_unchanged_by_hand():
    logits = torch.tensor([[1.0, 0.0, -1.0], [0.2, 0.3, 0.1]])
    target = torch.tensor([0, 2])
    loss = LOSSES.validate({"name": "focal", "gamma": 2.0}).build(LossInfo("multiclass", ("label",), ("a", "b", "c"),
                                                                           class_weights=(1.0, 1.0, 3.0)))
    by_hand = 0.0
    for row, y in zip(logits.tolist(), target.tolist(), strict=True):
        p_t = math.exp(row[y]) / sum(math.exp(v) for v in row)
        by_hand += (3.0 if y == 2 else 1.0) * -((1 - p_t) ** 2) * math.log(p_t)
    assert float(loss(logits, target)[0]) == pytest.approx(by_hand / 2, rel=1e-6)


def test_focal_alpha_on_a_multiclass_task_or_beside_class_weights_is_a_config_error():
    focal = LOSSES.validate({"name": "focal", "alpha": 0.25})
    with pytest.raises(ConfigError, match="this task is multi-class"):
        focal.build(LossInfo("multiclass", ("label",), ("a", "b", "c")))
    with pytest.raises(ConfigError, match="task.class_weights both weight the classes"):
        focal.build(binary(class_weights=(1.0, 3.0)))


def recipe(loss: str):
    from scrimmage.config import load_config

    return load_config(None, ["data.name=synthetic-asset-windows", "task.name=classification", f"loss={loss}"])


@pytest.mark.parametrize("alpha", [0, 1, -0.5, 1.5, "high"])
def test_focal_alpha_outside_the_open_unit_interval_is_refused(alpha):
    with pytest.raises(ConfigError, match="loss.alpha"):
        recipe(f"{{name: focal, alpha: {alpha}}}")


def test_weighted_bce_weighs_positives_by_n_over_n_pos_and_negatives_by_n_over_n_neg():
    # training split: 10 examples, 2 positive -> w_pos = 10 / 2 = 5, w_neg = 10 / 8 = 1.25
    loss = LOSSES.validate({"name": "weighted_bce"}).build(binary(class_counts=(8.0, 2.0), n_examples=10))
    by_hand = 0.0
    for x, y in zip(LOGITS.flatten().tolist(), TARGET.tolist(), strict=True):
        p = 1 / (1 + math.exp(-x))
        by_hand += (5.0 * -math.log(p)) if y else (1.25 * -math.log(1 - p))
    total, parts = loss(LOGITS, TARGET)
    assert float(total) == pytest.approx(by_hand / 5, rel=1e-6)
    assert float(parts) == pytest.approx(by_hand / 5, rel=1e-6)


def test_weighted_bce_per_label_in_multilabel_mode():
    loss = LOSSES.validate({"name": "weighted_bce"}).build(
        LossInfo("multilabel", ("a", "b"), ("a", "b"), class_counts=(1.0, 3.0), n_examples=4))
    logits = torch.tensor([[0.0, 1.0], [2.0, -1.0]])
    target = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    w_pos, w_neg = (4 / 1, 4 / 3), (4 / 3, 4 / 1)
    by_hand = 0.0
    for row, labels in zip(logits.tolist(), target.tolist(), strict=True):
        for k, (x, y) in enumerate(zip(row, labels, strict=True)):
            p = 1 / (1 + math.exp(-x))
            by_hand += w_pos[k] * -math.log(p) if y else w_neg[k] * -math.log(1 - p)
    assert float(loss(logits, target)[0]) == pytest.approx(by_hand / 4, rel=1e-6)


def test_weighted_bce_gradient_flows_and_a_class_that_never_occurs_stays_finite():
    loss = LOSSES.validate({"name": "weighted_bce"}).build(binary(class_counts=(10.0, 0.0), n_examples=10))
    logits = torch.zeros(3, 1, requires_grad=True)
    total, _ = loss(logits, torch.tensor([0, 0, 0]))
    total.backward()
    assert math.isfinite(float(total.detach())) and bool(torch.isfinite(logits.grad).all()) and float(logits.grad.abs().sum()) > 0


def test_weighted_bce_refuses_multiclass_tasks_and_task_class_weights():
    weighted = LOSSES.validate({"name": "weighted_bce"})
    with pytest.raises(ConfigError, match="use cross_entropy with task.class_weights: balanced"):
        weighted.build(LossInfo("multiclass", ("label",), ("a", "b", "c"), class_counts=(1.0, 1.0, 1.0), n_examples=3))
    with pytest.raises(ConfigError, match="set task.class_weights: none"):
        weighted.build(binary(class_weights=(1.0, 2.0), class_counts=(1.0, 1.0), n_examples=2))
    with pytest.raises(ConfigError, match="needs the training split's class counts"):
        weighted.build(binary())


def test_weighted_bce_takes_no_options_and_validates_in_a_recipe():
    assert recipe("{name: weighted_bce}").loss.name == "weighted_bce"
    with pytest.raises(ConfigError, match="pos_weight"):
        recipe("{name: weighted_bce, pos_weight: 3}")
