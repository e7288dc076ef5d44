"""Walk-forward pregame predictions: every game predicted by models fit only on earlier seasons.

For each season ``s`` of the games table, ``members`` ridge regressions (scikit-learn) are fit on
bootstrap resamples of the games of seasons ``< s`` (the nfl-pregame features: team form, Elo and
power ratings, each built from earlier games only) and predict every game of ``s``: the members'
mean is the predicted margin (home - away) and total, their standard deviation is the model's
uncertainty. The first season has no earlier season to fit on, so it gets no prediction (its rows
are dropped by the dataset). Training seasons are therefore as out of sample as the test seasons:
an in-sample fit would make the training states look far better than any state seen later.

Cheap on purpose (ridge, not the MLP of nfl-pregame): 10 seasons x 5 members fit in well under a
second, so the dataset builds in seconds and the walk-forward is honest without a training run
per season.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PREDICTION_COLUMNS = ("pred_margin", "pred_total", "pred_margin_std", "pred_total_std")


def walk_forward(frame: pd.DataFrame, feature_columns: list[str], members: int = 5, ridge_alpha: float = 10.0,
                 seed: int = 0) -> pd.DataFrame:
    """``frame`` (one row per game with ``season``, the features and the scores) with :data:`PREDICTION_COLUMNS`
    added; rows of the first season (nothing earlier to fit on) keep NaN."""
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    out = frame.copy()
    for column in PREDICTION_COLUMNS:
        out[column] = np.nan
    x_all = frame[feature_columns].to_numpy(np.float64)
    y_all = np.column_stack([
        (frame["home_score"] - frame["away_score"]).to_numpy(np.float64),
        (frame["home_score"] + frame["away_score"]).to_numpy(np.float64),
    ])
    seasons = sorted(int(s) for s in frame["season"].unique())
    for season in seasons[1:]:
        past = (frame["season"] < season).to_numpy()
        now = (frame["season"] == season).to_numpy()
        x_past, y_past = x_all[past], y_all[past]
        # one generator per season: a season's predictions do not depend on how many seasons came before it
        rng = np.random.default_rng([seed, season])
        preds = np.empty((members, int(now.sum()), 2))
        for m in range(members):
            rows = rng.integers(0, len(x_past), len(x_past))  # bootstrap resample of the earlier games
            model = make_pipeline(StandardScaler(), Ridge(alpha=ridge_alpha))
            model.fit(x_past[rows], y_past[rows])
            preds[m] = model.predict(x_all[now])
        mean, std = preds.mean(0), preds.std(0, ddof=1) if members > 1 else np.zeros(preds.shape[1:])
        out.loc[now, "pred_margin"], out.loc[now, "pred_total"] = mean[:, 0], mean[:, 1]
        out.loc[now, "pred_margin_std"], out.loc[now, "pred_total_std"] = std[:, 0], std[:, 1]
    return out
