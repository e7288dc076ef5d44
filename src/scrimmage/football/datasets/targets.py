"""Names and sizes shared by the dataset, the model and the task (light: no torch, no pandas).

They fix the width of every head, so a model rebuilt from a checkpoint (without the data) gets
the same shapes.
"""

from __future__ import annotations

#: Multi-label success flags of a snap (play head).
PLAY_FLAGS = ("first_down", "touchdown", "turnover", "sack", "penalty", "explosive")
EXPLOSIVE_YARDS = 20

#: Yard bins of the play head's yards distribution: inclusive integer ranges (lo, hi), in order.
#: Single yards from -10 to 20 (where most plays land), wider bins in the tails.
YARD_BINS: tuple[tuple[int, int], ...] = (
    (-110, -11), *((y, y) for y in range(-10, 21)), (21, 25), (26, 30), (31, 40), (41, 50), (51, 70), (71, 110),
)

#: Outcome of the drive a snap belongs to (drive head), from the drives table's ``result``.
DRIVE_OUTCOMES = (
    "touchdown", "field_goal", "punt", "interception", "fumble", "downs", "missed_field_goal", "safety",
    "end_of_half", "end_of_game",
)
DRIVE_RESULT_MAP = {
    "Touchdown": "touchdown", "Field Goal": "field_goal", "Punt": "punt", "Blocked Punt": "punt",
    "Interception": "interception", "Fumble": "fumble", "Downs": "downs", "Blocked Punt, Downs": "downs",
    "Blocked FG, Downs": "downs", "Missed FG": "missed_field_goal", "Blocked FG": "missed_field_goal",
    "Safety": "safety", "Fumble, Safety": "safety", "Blocked Punt, Safety": "safety",
    "End of Half": "end_of_half", "End of Game": "end_of_game",
}
#: Drive metrics of the current drive (drive head, regression on standardised values).
DRIVE_METRICS = ("yards", "plays", "seconds", "first_downs", "penalty_yards")

#: Final-score targets of the game head (the margin is derived: home - away).
GAME_POINTS = ("home", "away")
#: Game stat groups (game head), each a list of per-team stats (standardised regression).
STAT_GROUPS: dict[str, tuple[str, ...]] = {
    "volume": ("home_rush_yds", "away_rush_yds", "home_pass_yds", "away_pass_yds",
               "home_rush_att", "away_rush_att", "home_pass_att", "away_pass_att"),
    "efficiency": ("home_yards_per_rush", "away_yards_per_rush", "home_yards_per_pass", "away_yards_per_pass",
                   "home_completion_rate", "away_completion_rate", "home_third_down_rate", "away_third_down_rate"),
    "explosiveness": ("home_plays_20", "away_plays_20", "home_plays_40", "away_plays_40"),
}
GAME_STATS: tuple[str, ...] = tuple(name for group in STAT_GROUPS.values() for name in group)

#: Loss levels (what the ``phases`` callback's ``loss_weights`` name).
LEVELS = ("play", "drive", "game", "state")
