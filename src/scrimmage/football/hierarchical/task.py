"""The ``nfl-hierarchical`` task: multi-level losses, per-play metrics, the pregame and live game metrics.

Inputs are standardised over real steps only; drive metrics, final points and game stats are
standardised with training statistics (:class:`~.model.HierarchicalModel` holds them, so a
checkpoint predicts real units by itself). A batch is a set of games, trimmed to the longest
real game in it (the split is padded to its longest game; nothing is truncated).

Metrics (``<prefix>/...``): the loss and its levels; the game head **at play 0** (the pregame
prediction: home/away/margin RMSE, combined RMSE, Brier of the home-win probability), which is
what the recipes' early stopping watches (``val/pregame_game_rmse_combined``); play-type
accuracy, mean AUROC of the success flags, MAE of the expected yards and log loss of the yard
bins; drive-outcome accuracy and drive-metrics RMSE (standardised, mean over metrics); the live
projection over all real plays (margin RMSE, Brier and calibration error of the home-win
probability in ``wp_bins`` equal bins, count-weighted; tied games left out); and the share of
plays whose predictions pass every state check (:func:`consistent_steps`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from scrimmage.data.datamodule import DataBundle, InputSpec, TensorSplit
from scrimmage.engine.tasks.base import Evaluation, Report
from scrimmage.engine.tasks.scaling import unwrap
from scrimmage.errors import ConfigError
from scrimmage.football.datasets.targets import DRIVE_OUTCOMES, LEVELS, PLAY_FLAGS
from scrimmage.football.hierarchical.losses import impossible_bins
from scrimmage.football.hierarchical.model import HierarchicalModel, given_call
from scrimmage.football.hierarchical.names import HIERARCHICAL_METRICS
from scrimmage.football.ratings.metrics import score_games
from scrimmage.losses.masked import expected_calibration_error
from scrimmage.metrics.classification import binary_metrics

STEP_KEYS = ("x", "cat", "mask", "play_type", "play_flags", "yards", "yard_bin", "drive_outcome", "drive_metrics",
             "score_before", "yards_to_goal", "play_in_drive")
_O = {name: i for i, name in enumerate(DRIVE_OUTCOMES)}
_TD = PLAY_FLAGS.index("touchdown")
_TURNOVER = PLAY_FLAGS.index("turnover")


def trim(batch: dict[str, Tensor]) -> dict[str, Tensor]:
    """The batch cut to its longest real game (padding past it is never read)."""
    steps = int(batch["mask"].sum(1).max().item()) if batch["mask"].numel() else 0
    steps = max(steps, 1)
    return {k: (v[:, :steps] if k in STEP_KEYS else v) for k, v in batch.items()}


def consistent_steps(real: dict[str, Tensor], batch: dict[str, Tensor], classes: tuple[str, ...]) -> Tensor:
    """``[N, T]`` true where every hard prediction agrees with the state and with the other heads:
    expected yards inside the field, the most likely yard bin possible, a likely touchdown only with
    a drive ending in a touchdown or turnover, a punt / field-goal call only with a punt / kick drive
    outcome, projected final scores not below the current ones and the projected drive not shorter
    than the plays already run in it (0.5 tolerance)."""
    ytg = batch["yards_to_goal"].float()
    ev = real["yards_ev"]
    ok = (ev <= ytg + 0.5) & (ev >= ytg - 100.5)
    best_bin = real["yard_probs"].argmax(-1, keepdim=True)
    ok &= ~impossible_bins(ytg).gather(-1, best_bin).squeeze(-1)
    drive = real["drive_outcome"].argmax(-1)
    td = real["flag_probs"][..., _TD] > 0.5
    ok &= ~td | (drive == _O["touchdown"]) | (drive == _O["interception"]) | (drive == _O["fumble"])
    call = real["play_type"].argmax(-1)
    if "punt" in classes:
        ok &= (call != classes.index("punt")) | (drive == _O["punt"])
    if "field_goal" in classes:
        ok &= (call != classes.index("field_goal")) | (drive == _O["field_goal"]) | (drive == _O["missed_field_goal"])
    ok &= (real["game_points"] >= batch["score_before"].float() - 0.5).all(-1)
    ok &= real["drive_metrics"][..., 1] >= batch["play_in_drive"].float() - 0.5
    return ok


class HierarchicalTask:
    name = "nfl-hierarchical"

    def __init__(self, spec: InputSpec, cfg: Any):
        self.spec, self.cfg = spec, cfg
        self.classes = tuple(spec.class_names)
        self.loss: Any = None
        names = list(spec.feature_names)
        self._down_columns = tuple(names.index(f"down_{d}") for d in (1, 2, 3, 4)) if "down_4" in names else (0, 0, 0, 0)

    def n_outputs(self) -> int:
        return len(self.classes)

    def default_loss(self) -> dict[str, Any]:
        return {"name": "nfl-hierarchical"}

    def build_model(self, net: nn.Module, train: TensorSplit | None) -> nn.Module:
        model = HierarchicalModel(net, self.spec.n_features)
        if train is not None:
            model.fit_all(train.take(slice(None)))
        return model

    def setup_training(self, loss_config: Any, train: TensorSplit) -> None:
        from scrimmage.losses.configs import LossInfo

        if getattr(loss_config, "kind", "") != "hierarchical":
            raise ConfigError(f"loss.name '{loss_config.name}' does not fit task nfl-hierarchical; use loss.name: nfl-hierarchical.")
        self.loss = loss_config.build(LossInfo("hierarchical", self.spec.target_names, self.classes))
        self.loss.fit(train.take(slice(None)))

    def loss_weight_names(self) -> list[str]:
        return list(LEVELS)

    def set_loss_weights(self, weights: dict[str, float]) -> None:
        """Level weights from now on (a curriculum phase); levels not named keep the recipe's ``loss.levels``."""
        unknown = sorted(set(weights) - set(LEVELS))
        if unknown:
            raise ConfigError(f"loss weights name unknown levels {unknown}; the levels are {list(LEVELS)}.")
        levels = {name: float(weights.get(name, base)) for name, base in self.loss.base_levels.items()}
        if any(w < 0 for w in levels.values()) or sum(levels.values()) <= 0:
            raise ConfigError(f"level weights must be >= 0 with a positive sum, got {levels}.")
        self.loss.levels = levels

    def prepare(self, model: nn.Module, split: TensorSplit) -> TensorSplit:
        with torch.no_grad():
            return TensorSplit(unwrap(model).prepare_targets(split.take(slice(None))))

    def training_loss(self, model: nn.Module, batch: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        batch = trim(batch)
        return self.loss(model(batch, prepared=True), batch, unwrap(model))

    def metric_names(self, prefix: str = "val") -> list[str]:
        return [f"{prefix}/{name}" for name in HIERARCHICAL_METRICS]

    @torch.no_grad()
    def evaluate(self, model: nn.Module, split: TensorSplit, batch_size: int, prefix: str) -> Evaluation:
        scaler: HierarchicalModel = unwrap(model)  # type: ignore[assignment]
        acc: dict[str, list[Tensor]] = {k: [] for k in (
            "pregame", "type_hit", "flags_p", "flags_t", "yards_err", "yards_nll", "drive_hit", "drive_se",
            "live_margin_se", "live_wp", "live_win", "consistent", "cal_type", "cal_call", "cal_turnover_logit",
            "cal_turnover", "cal_yards", "cal_bin", "cal_down", "cal_td_logit", "cal_td")}
        calibrate = prefix == "val"  # the simulator's offsets, refitted on the validation plays at every validation
        level_sums, n_games = torch.zeros(len(LEVELS), dtype=torch.float64), 0
        for raw in split.batches(batch_size):
            raw = trim(raw)
            batch = scaler.prepare_targets(raw)
            out = model(batch, prepared=True)
            real = scaler.real_units(out)
            mask = raw["mask"].bool()
            n = int(mask.shape[0])
            if self.loss is not None:
                _, parts = self.loss(out, batch, scaler)
                level_sums += parts.double().cpu() * n
            n_games += n
            acc["pregame"].append(torch.stack([real["game_points"][:, 0, 0], real["game_points"][:, 0, 1],
                                               real["margin"][:, 0], real["home_win_prob"][:, 0]], dim=1).cpu())
            acc["type_hit"].append((real["play_type"].argmax(-1) == raw["play_type"])[mask].cpu())
            acc["flags_p"].append(real["flag_probs"][mask].cpu())
            acc["flags_t"].append(raw["play_flags"][mask].cpu())
            acc["yards_err"].append((real["yards_ev"] - raw["yards"].float())[mask].abs().cpu())
            logp = real["yard_probs"].clamp_min(1e-12).log().gather(-1, raw["yard_bin"].unsqueeze(-1)).squeeze(-1)
            acc["yards_nll"].append(-logp[mask].cpu())
            known = mask & (raw["drive_outcome"] >= 0)
            acc["drive_hit"].append((real["drive_outcome"].argmax(-1) == raw["drive_outcome"])[known].cpu())
            acc["drive_se"].append(((out["drive_metrics"] - batch["drive_metrics"]) ** 2)[mask].mean(-1).cpu())
            final = raw["game_points"].float()
            final_margin = (final[:, 0] - final[:, 1]).unsqueeze(1).expand_as(real["margin"])
            acc["live_margin_se"].append(((real["margin"] - final_margin) ** 2)[mask].cpu())
            decided = mask & (final_margin != 0)
            acc["live_wp"].append(real["home_win_prob"][decided].cpu())
            acc["live_win"].append((final_margin > 0)[decided].float().cpu())
            acc["consistent"].append(consistent_steps(real, raw, self.classes)[mask].cpu())
            if calibrate:
                call = raw["play_type"].clamp_min(0)
                acc["cal_type"].append(out["play_type"][mask].float().cpu())
                acc["cal_call"].append(call[mask].cpu())
                acc["cal_turnover_logit"].append(given_call(out["play_flags"], call)[..., _TURNOVER][mask].float().cpu())
                acc["cal_turnover"].append(raw["play_flags"][..., _TURNOVER][mask].cpu())
                acc["cal_yards"].append(given_call(out["yard_logits"], call)[mask].float().cpu())
                acc["cal_bin"].append(raw["yard_bin"][mask].cpu())
                acc["cal_td_logit"].append(given_call(out["play_flags"], call)[..., _TD][mask].float().cpu())
                acc["cal_td"].append(raw["play_flags"][..., _TD][mask].cpu())
                downs = raw["x"][..., list(self._down_columns)].float()  # one-hot down_1..down_4 of the state
                acc["cal_down"].append((downs.argmax(-1) + 1)[mask].cpu())
        cat = {k: torch.cat(v) if v else torch.empty(0) for k, v in acc.items()}
        if calibrate and len(cat["cal_call"]):
            from scrimmage.football.hierarchical.calibration import fit_calibration

            fitted = fit_calibration(cat["cal_type"], cat["cal_call"], cat["cal_turnover_logit"], cat["cal_turnover"],
                                     cat["cal_yards"], cat["cal_bin"], cat["cal_down"], cat["cal_td_logit"], cat["cal_td"])
            for name, value in fitted.items():
                getattr(scaler, name).copy_(value.to(getattr(scaler, name).device))
            scaler.calibrated.fill_(1.0)
        pregame = cat["pregame"].double()
        truth = split.column("game_points").double().cpu()
        games = score_games(truth[:, 0].numpy(), truth[:, 1].numpy(), pregame[:, 0].numpy(), pregame[:, 1].numpy(),
                            pregame[:, 2].numpy(), pregame[:, 3].numpy())
        flags_p, flags_t = cat["flags_p"].numpy(), cat["flags_t"].numpy()
        aurocs = [binary_metrics(np.ascontiguousarray(flags_p[:, i]), np.ascontiguousarray(flags_t[:, i])).get("auroc", float("nan")) for i in range(len(PLAY_FLAGS))]
        levels = (level_sums / max(n_games, 1)).tolist()
        weights = self.loss.levels if self.loss is not None else dict.fromkeys(LEVELS, 1.0)
        metrics = {
            "loss": float(sum(weights[name] * value for name, value in zip(LEVELS, levels, strict=True))),
            **{f"loss_{name}": value for name, value in zip(LEVELS, levels, strict=True)},
            "pregame_home_rmse": games["home_rmse"], "pregame_away_rmse": games["away_rmse"],
            "pregame_margin_rmse": games["margin_rmse"], "pregame_game_rmse_combined": games["game_rmse_combined"],
            "brier": games["brier"],
            "play_type_accuracy": float(cat["type_hit"].float().mean()),
            "success_auroc": float(np.nanmean(aurocs)),
            "yards_ev_mae": float(cat["yards_err"].mean()),
            "yards_log_loss": float(cat["yards_nll"].mean()),
            "drive_outcome_accuracy": float(cat["drive_hit"].float().mean()),
            "drive_metrics_rmse": float(cat["drive_se"].mean().sqrt()),
            "live_margin_rmse": float(cat["live_margin_se"].mean().sqrt()),
            "live_wp_calibration_error": expected_calibration_error(cat["live_wp"], cat["live_win"], self.cfg.wp_bins),
            "live_brier": float(((cat["live_wp"] - cat["live_win"]) ** 2).mean()),
            "state_consistency_rate": float(cat["consistent"].float().mean()),
        }
        if self.loss is None:
            for name in ("loss", *(f"loss_{level}" for level in LEVELS)):
                metrics[name] = float("nan")
        return Evaluation({f"{prefix}/{k}": v for k, v in metrics.items()}, pregame.float(), truth.float())

    def report(self, data: DataBundle, split: str, evaluation: Evaluation) -> Report:
        """The model's row (with the nested ``pregame`` block); the ``hierarchical-baselines`` report adds the
        football baselines and ``simulate-test-games`` the simulated games."""
        from scrimmage.football.hierarchical.rows import COLUMNS, model_row

        return Report(f"{split} set: hierarchical model (game head at play 0 = pregame)", {"model": model_row(evaluation, split)},
                      dict(COLUMNS), rank_by="pregame_game_rmse_combined")

    def prediction_columns(self, evaluation: Evaluation) -> dict[str, np.ndarray]:
        truth = evaluation.targets.cpu().numpy()
        pred = evaluation.predictions.cpu().numpy()
        return {"home": truth[:, 0], "away": truth[:, 1], "margin": truth[:, 0] - truth[:, 1],
                "pregame_home_pred": pred[:, 0], "pregame_away_pred": pred[:, 1], "pregame_margin_pred": pred[:, 2],
                "pregame_home_win_prob": pred[:, 3]}

    def decode(self, outputs: Any) -> dict[str, np.ndarray]:
        """Real-unit outputs of ``model(batch)`` → per game: the pregame (play 0) predictions."""
        points = outputs["game_points"][:, 0].detach().float().cpu().numpy()
        return {"pregame_home_pred": points[:, 0], "pregame_away_pred": points[:, 1],
                "pregame_margin_pred": points[:, 0] - points[:, 1],
                "pregame_home_win_prob": outputs["home_win_prob"][:, 0].detach().float().cpu().numpy()}
