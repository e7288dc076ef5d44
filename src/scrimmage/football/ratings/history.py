"""The game history that rating systems replay: REG and POST games in kickoff order."""

from __future__ import annotations

import pandas as pd

from scrimmage.errors import DataError

RATED_SEASON_TYPES = ("REG", "POST")  # preseason results say little about a team: never rated
RESULT_COLUMNS = ("game_id", "date", "home_team", "away_team", "home_score", "away_score")


def rated_games(games: pd.DataFrame, purpose: str, extra_columns: tuple[str, ...] = ()) -> pd.DataFrame:
    """REG/POST games sorted by (date, game_id), with ``date`` as datetime; checks the columns."""
    missing = [c for c in (*RESULT_COLUMNS, *extra_columns) if c not in games.columns]
    if missing:
        raise DataError(f"games table lacks columns {missing} needed for {purpose}")
    g = games
    if "season_type" in g.columns:
        g = g[g["season_type"].isin(RATED_SEASON_TYPES)]
    return g.assign(date=pd.to_datetime(g["date"])).sort_values(["date", "game_id"], kind="stable")
