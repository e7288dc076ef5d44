"""The ``nfl-hierarchical`` task's own report row: its metrics and the pregame block (game head at play 0),
and the table's columns; the ``hierarchical-baselines`` report (:mod:`scrimmage.football.reports.hierarchical`)
adds the baselines beside it."""

from __future__ import annotations

from typing import Any

from scrimmage.engine.tasks.base import Evaluation
from scrimmage.football.ratings.metrics import score_games

COLUMNS = {
    "n_games": "games",
    "pregame_margin_rmse": "margin",
    "pregame_home_rmse": "home",
    "pregame_away_rmse": "away",
    "pregame_game_rmse_combined": "combined",
    "simulated_margin_rmse": "sim margin",
    "brier": "Brier",
    "play_type_accuracy": "play type acc",
    "drive_outcome_accuracy": "drive acc",
    "live_wp_calibration_error": "live WP cal",
    "state_consistency_rate": "consistent",
}
PREGAME_KEYS = ("home_rmse", "away_rmse", "margin_rmse", "game_rmse_combined", "winner_accuracy", "brier")


def _pregame_row(scores: dict[str, float]) -> dict[str, Any]:
    row: dict[str, Any] = {f"pregame_{k}": scores[k] for k in PREGAME_KEYS if k != "brier"}
    row["brier"] = scores["brier"]
    row["n_games"] = scores["n_games"]
    row["pregame"] = {k: scores[k] for k in PREGAME_KEYS}
    return row


def model_row(evaluation: Evaluation, split: str) -> dict[str, Any]:
    prefix = f"{split}/"
    row: dict[str, Any] = {k.removeprefix(prefix): v for k, v in evaluation.metrics.items()}
    truth = evaluation.targets.double().cpu().numpy()
    pred = evaluation.predictions.double().cpu().numpy()
    return row | _pregame_row(score_games(truth[:, 0], truth[:, 1], pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]))
