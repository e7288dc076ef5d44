"""pandera schemas for the NFL tables: types, ranges, unique keys and cross-row rules.

Every table is validated before it is written; a failure is a :class:`DataError` listing the
failing checks, never a silent write. Cross-row rules (final = sum of quarters, clock
non-increasing within a quarter) are dataframe-level checks so they run on the whole table.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scrimmage.data.nfl.playtypes import PLAY_TYPES
from scrimmage.data.nfl.teams import CANONICAL_TEAMS
from scrimmage.errors import DataError

TEAMS = sorted(CANONICAL_TEAMS)
#: Quarters: 1-4, overtime periods 5+; one double-overtime playoff game (2013011200) reaches 6.
MAX_QTR = 6


def _nonneg_int() -> pa.Column:
    return pa.Column(int, pa.Check.ge(0))


def _final_equals_quarters(df: pd.DataFrame) -> pd.Series:
    ok = pd.Series(True, index=df.index)
    for side in ("home", "away"):
        total = sum(df[f"{side}_{q}"] for q in ("q1", "q2", "q3", "q4", "ot"))
        ok &= total == df[f"{side}_score"]
    return ok


def _clock_monotone(df: pd.DataFrame) -> pd.Series:
    """Within a game and quarter, in play order, seconds remaining never go up."""
    ordered = df.sort_values(["game_id", "play_index"])
    diff = ordered.groupby(["game_id", "qtr"], sort=False)["sec_remaining_game"].diff()
    return (diff.fillna(0) <= 0).reindex(df.index)


def _team_side_columns() -> dict[str, pa.Column]:
    cols: dict[str, pa.Column] = {}
    for side in ("home", "away"):
        for name in (
            "score", "q1", "q2", "q3", "q4", "ot", "first_downs", "total_yds", "pass_yds",
            "rush_yds", "pass_att", "rush_att", "penalties", "penalty_yds", "turnovers", "top_sec",
            "punts", "off_plays",
        ):
            cols[f"{side}_{name}"] = (
                pa.Column(int) if name in ("total_yds", "pass_yds", "rush_yds") else _nonneg_int()
            )
        cols[f"{side}_success_rate"] = pa.Column(float, pa.Check.in_range(0, 1), nullable=True)
    cols["home_top_sec"] = pa.Column(int, pa.Check.in_range(0, 4800))
    cols["away_top_sec"] = pa.Column(int, pa.Check.in_range(0, 4800))
    return cols


GAMES = pa.DataFrameSchema(
    {
        "game_id": pa.Column(str, pa.Check.str_matches(r"^\d{10}$"), unique=True),
        "season": pa.Column(int, pa.Check.in_range(2009, 2019)),
        "week": pa.Column(int, pa.Check.in_range(0, 22)),
        "season_type": pa.Column(str, pa.Check.isin(["PRE", "REG", "POST"])),
        "date": pa.Column("datetime64[ns]"),
        "home_team": pa.Column(str, pa.Check.isin(TEAMS)),
        "away_team": pa.Column(str, pa.Check.isin(TEAMS)),
        **_team_side_columns(),
        "pbp_home_score": _nonneg_int(),
        "pbp_away_score": _nonneg_int(),
        "clock_jump": pa.Column(bool),
        "pbp_complete": pa.Column(bool),
        "pbp_score_consistent": pa.Column(bool),
        "spread_home": pa.Column(float, nullable=True, required=False),
        "total_line": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
    },
    checks=[
        pa.Check(_final_equals_quarters, name="final_equals_sum_of_quarters"),
        pa.Check(lambda df: df["home_team"] != df["away_team"], name="home_differs_from_away"),
    ],
    strict=False,
    coerce=False,
    name="nfl_games",
)

DRIVES = pa.DataFrameSchema(
    {
        "game_id": pa.Column(str),
        "drive_id": pa.Column(int, pa.Check.ge(1)),
        "posteam": pa.Column(str, pa.Check.isin([*TEAMS, ""])),
        "qtr": pa.Column(int, pa.Check.in_range(1, MAX_QTR)),
        "result": pa.Column(str),
        "start_qtr": pa.Column(int, pa.Check.in_range(1, MAX_QTR)),
        "end_qtr": pa.Column(int, pa.Check.in_range(1, MAX_QTR)),
        "start_sec_remaining": pa.Column("Int64", pa.Check.in_range(0, 3600), nullable=True),
        "end_sec_remaining": pa.Column("Int64", pa.Check.in_range(0, 3600), nullable=True),
        "start_yardline_100": pa.Column("Int64", pa.Check.in_range(0, 100), nullable=True),
        "end_yardline_100": pa.Column("Int64", pa.Check.in_range(0, 100), nullable=True),
        "plays": _nonneg_int(),
        "yards": pa.Column(int),
        "first_downs": _nonneg_int(),
        "penalty_yds": pa.Column(int),
        "top_sec": _nonneg_int(),
    },
    unique=["game_id", "drive_id"],
    strict=False,
    name="nfl_drives",
)

PLAYS = pa.DataFrameSchema(
    {
        "game_id": pa.Column(str),
        "play_id": pa.Column(int, pa.Check.ge(0)),
        "play_index": pa.Column(int, pa.Check.ge(1)),
        "drive_id": pa.Column(int, pa.Check.ge(1)),
        "qtr": pa.Column(int, pa.Check.in_range(1, MAX_QTR)),
        "sec_remaining_half": pa.Column(int, pa.Check.in_range(0, 1800)),
        "sec_remaining_game": pa.Column(int, pa.Check.in_range(0, 3600)),
        "down": pa.Column(int, pa.Check.in_range(0, 4)),
        "ydstogo": pa.Column(int, pa.Check.in_range(0, 100)),
        "yardline_100": pa.Column("Int64", pa.Check.in_range(0, 100), nullable=True),
        "posteam": pa.Column(str, pa.Check.isin(TEAMS)),
        "defteam": pa.Column(str, pa.Check.isin(TEAMS)),
        "home_score_before": _nonneg_int(),
        "away_score_before": _nonneg_int(),
        "home_points": _nonneg_int(),
        "away_points": _nonneg_int(),
        "play_type": pa.Column(str, pa.Check.isin(list(PLAY_TYPES))),
        "yards_gained": pa.Column(int, pa.Check.in_range(-100, 110)),
        "first_down": pa.Column(bool),
        "touchdown": pa.Column(bool),
        "turnover": pa.Column(bool),
        "penalty": pa.Column(bool),
        "desc": pa.Column(str),
    },
    checks=[
        pa.Check(_clock_monotone, name="clock_non_increasing_within_quarter"),
        pa.Check(lambda df: df["posteam"] != df["defteam"], name="posteam_differs_from_defteam"),
    ],
    unique=["game_id", "play_id"],
    strict=False,
    name="nfl_plays",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {"games": GAMES, "drives": DRIVES, "plays": PLAYS}


def validate(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Validate one table; every failing check is listed in the :class:`DataError`."""
    try:
        return SCHEMAS[name].validate(df, lazy=True)
    except SchemaErrors as exc:
        cases = exc.failure_cases
        lines = []
        for check, grp in cases.groupby("check", dropna=False, sort=False):
            cols = sorted({str(c) for c in grp["column"].dropna().unique()})
            col = cols[0] if len(cols) == 1 else "table"
            idx = grp["index"].dropna().unique() if "index" in grp.columns else []
            values = grp["failure_case"].dropna().astype(str).unique()[:3].tolist()
            example = f"; e.g. {values}" if col != "table" and values else ""
            rows = len(idx) if len(idx) else len(grp)
            lines.append(f"  {col}: {check} failed for {rows} rows{example}")
        raise DataError(
            f"NFL {name} table failed validation:\n" + "\n".join(lines[:20])
            + "\nthe source data breaks a rule the ingest does not repair; report it with the game ids"
        ) from None
