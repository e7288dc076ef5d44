"""The ``nfl-hierarchical`` task's metric names (light: the task's schema lists them at config time)."""

from __future__ import annotations

HIERARCHICAL_METRICS = (
    "loss", "loss_play", "loss_drive", "loss_game", "loss_state",
    "pregame_home_rmse", "pregame_away_rmse", "pregame_margin_rmse", "pregame_game_rmse_combined", "brier",
    "play_type_accuracy", "success_auroc", "yards_ev_mae", "yards_log_loss", "drive_outcome_accuracy",
    "drive_metrics_rmse", "live_margin_rmse", "live_wp_calibration_error", "live_brier", "state_consistency_rate",
)
