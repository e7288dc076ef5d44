"""Report of ``nfl-games``: the hierarchical model's pregame prediction (game head at play 0) beside the
nfl-pregame recipe's baselines (home field, Elo) and the closing line on the same games, plus its
play, drive, live and consistency metrics.

The closing line exists only where a line was joined; the model is then also scored on exactly
those games (``model_on_line_games``) and ``extras["model_minus_line"]`` gives the gap per metric.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Report
from scrimmage.football.hierarchical.rows import COLUMNS, _pregame_row, model_row
from scrimmage.football.ratings.baselines import (
    BaselinePrediction,
    closing_line_baseline,
    elo_baseline,
    home_field_baseline,
)
from scrimmage.football.ratings.metrics import score_games


def _baseline_row(prediction: BaselinePrediction, target: Any) -> dict[str, Any]:
    home, away = prediction.truth(target)
    return _pregame_row(score_games(home, away, prediction.pred_home, prediction.pred_away, prediction.pred_margin,
                                    prediction.pred_home_win_prob))


def hierarchical_report(ctx: ReportContext, generic: Report) -> Report:
    """The ``hierarchical-baselines`` report: the task's table with home-field, Elo and closing-line rows added."""
    bundle, split, evaluation = ctx.data, ctx.split, ctx.evaluation
    target = bundle.frames[split]
    train = bundle.frames["train"]
    rows = dict(generic.rows)
    rows["home_field"] = _baseline_row(home_field_baseline(train, target), target)
    rows["elo"] = _baseline_row(elo_baseline(bundle.frames["games"], target), target)
    notes = [f"pregame = the game head at play 0 (before the first snap); {len(target)} games, "
             f"longest {bundle.info.get('longest_game', {}).get('plays', '?')} plays (no truncation)"]
    extras: dict[str, Any] = {}
    if "spread_home" in target.columns and target["spread_home"].notna().any():
        mean_total = float((train["home_score"] + train["away_score"]).mean())
        line = closing_line_baseline(target, total_fallback=mean_total)
        rows["closing_line"] = _baseline_row(line, target) | {"n_excluded": line.n_excluded}
        on_line = target["game_id"].isin(set(line.game_id)).to_numpy()
        truth = evaluation.targets.double().cpu().numpy()[on_line]
        pred = evaluation.predictions.double().cpu().numpy()[on_line]
        on = _pregame_row(score_games(truth[:, 0], truth[:, 1], pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]))
        if line.n_excluded:
            rows["model_on_line_games"] = on
        gap = {k: on["pregame"][k] - rows["closing_line"]["pregame"][k] for k in ("margin_rmse", "game_rmse_combined", "brier")}
        extras["model_minus_line"] = gap
        rows["model"] = dict(rows["model"]) | {"line_gap_margin_rmse": gap["margin_rmse"],
                                               "line_gap_game_rmse_combined": gap["game_rmse_combined"]}
        notes.append(f"model minus closing line on the same {int(on_line.sum())} games: margin RMSE "
                     f"{gap['margin_rmse']:+.2f}, combined {gap['game_rmse_combined']:+.2f}, Brier {gap['brier']:+.4f}")
    else:
        notes.append("no closing lines joined (ingest with --lines or set data.lines): no closing-line row")
    notes += _play_type_note(rows["model"], bundle.info.get("play_type_situation"), split)
    return Report(generic.title, rows, dict(COLUMNS), rank_by="pregame_game_rmse_combined", notes=notes + generic.notes,
                  sections=dict(generic.sections),
                  extras=dict(generic.extras) | extras)


def _play_type_note(model: dict[str, Any], situation: dict[str, Any] | None, split: str) -> list[str]:
    """The model's play-type accuracy beside the dataset's baselines (``data.play_type_situation``)."""
    accuracy = model.get("play_type_accuracy")
    if not situation or accuracy is None or (situation.get("accuracy") or {}).get(split) is None:
        return []
    majority = situation["majority"]
    return [f"play type accuracy on the {split} snaps: model {accuracy:.3f}; baselines: the training games' commonest "
            f"call per situation cell {situation['accuracy'][split]:.3f}, always '{majority['call']}' "
            f"{majority['accuracy'][split]:.3f}"]


__all__ = ["COLUMNS", "hierarchical_report", "model_row", "np"]
