"""pandera schemas for the NFL tables: the one definition of each table's columns.

A schema lists its table's columns in the order they are written, with their dtypes, ranges,
unique keys and cross-row rules; the parser emits rows with these names and :func:`validate`
puts them in this order and dtype. Schemas are strict, so a column the parser emits without
declaring it here fails validation. The parser emits plain Python values (dates, ``None`` for
an unknown yard line or clock); the columns that need it are declared ``coerce=True`` and
pandera converts them (to ``datetime64[ns]``, nullable ``Int64``), so no dtype is fixed by hand
elsewhere.

Every table is validated before it is written; a failure is a :class:`DataError` listing the
failing checks, never a silent write. Cross-row rules (final = sum of quarters, clock
non-increasing within a quarter) are dataframe-level checks so they run on the whole table.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from scrimmage.errors import DataError
from scrimmage.football.common.playtypes import PLAY_TYPES
from scrimmage.football.common.teams import CANONICAL_TEAMS

TEAMS = sorted(CANONICAL_TEAMS)
#: Quarters: 1-4, overtime periods 5+; one double-overtime playoff game (2013011200) reaches 6.
MAX_QTR = 6


#: Per-side columns of the games table (``home_<name>`` / ``away_<name>``), from the box score.
TEAM_STATS = (
    "score", "q1", "q2", "q3", "q4", "ot", "first_downs", "total_yds", "pass_yds", "rush_yds",
    "pass_att", "rush_att", "penalties", "penalty_yds", "turnovers", "top_sec", "punts",
)
_SIGNED_STATS = ("total_yds", "pass_yds", "rush_yds")  # yardage can be negative


def _nonneg_int() -> pa.Column:
    return pa.Column(int, pa.Check.ge(0))


def _nullable_int(check: pa.Check) -> pa.Column:
    """Integers with gaps: the parser gives ``None`` where the source has no value."""
    return pa.Column("Int64", check, nullable=True, coerce=True)


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


def _team_side_columns(side: str) -> dict[str, pa.Column]:
    cols: dict[str, pa.Column] = {}
    for name in TEAM_STATS:
        if name in _SIGNED_STATS:
            cols[f"{side}_{name}"] = pa.Column(int)
        elif name == "top_sec":
            cols[f"{side}_{name}"] = pa.Column(int, pa.Check.in_range(0, 4800))
        else:
            cols[f"{side}_{name}"] = _nonneg_int()
    return cols


GAMES = pa.DataFrameSchema(
    {
        "game_id": pa.Column(str, pa.Check.str_matches(r"^\d{10}$"), unique=True),
        "season": pa.Column(int, pa.Check.in_range(2009, 2019)),
        "week": pa.Column(int, pa.Check.in_range(0, 22)),
        "season_type": pa.Column(str, pa.Check.isin(["PRE", "REG", "POST"])),
        "date": pa.Column("datetime64[ns]", coerce=True),  # the schedule's datetime.date
        "home_team": pa.Column(str, pa.Check.isin(TEAMS)),
        "away_team": pa.Column(str, pa.Check.isin(TEAMS)),
        **_team_side_columns("home"),
        **_team_side_columns("away"),
        "clock_jump": pa.Column(bool),
        "pbp_home_score": _nonneg_int(),
        "pbp_away_score": _nonneg_int(),
        "pbp_score_consistent": pa.Column(bool),
        "pbp_complete": pa.Column(bool),
        # joined from the betting lines when the ingest is given a lines file
        "spread_home": pa.Column(float, nullable=True, required=False),
        "total_line": pa.Column(float, pa.Check.ge(0), nullable=True, required=False),
    },
    checks=[
        pa.Check(_final_equals_quarters, name="final_equals_sum_of_quarters"),
        pa.Check(lambda df: df["home_team"] != df["away_team"], name="home_differs_from_away"),
    ],
    strict=True,
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
        "start_sec_remaining": _nullable_int(pa.Check.in_range(0, 3600)),
        "end_sec_remaining": _nullable_int(pa.Check.in_range(0, 3600)),
        "start_yardline_100": _nullable_int(pa.Check.in_range(0, 100)),
        "end_yardline_100": _nullable_int(pa.Check.in_range(0, 100)),
        "plays": _nonneg_int(),
        "yards": pa.Column(int),
        "first_downs": _nonneg_int(),
        "penalty_yds": pa.Column(int),
        "top_sec": _nonneg_int(),
    },
    unique=["game_id", "drive_id"],
    strict=True,
    name="nfl_drives",
)

PLAYS = pa.DataFrameSchema(
    {
        "game_id": pa.Column(str),
        "play_id": pa.Column(int, pa.Check.ge(0)),
        "drive_id": pa.Column(int, pa.Check.ge(1)),
        "play_index": pa.Column(int, pa.Check.ge(1)),
        "qtr": pa.Column(int, pa.Check.in_range(1, MAX_QTR)),
        "down": pa.Column(int, pa.Check.in_range(0, 4)),
        "ydstogo": pa.Column(int, pa.Check.in_range(0, 100)),
        "yardline_100": _nullable_int(pa.Check.in_range(0, 100)),
        "posteam": pa.Column(str, pa.Check.isin(TEAMS)),
        "defteam": pa.Column(str, pa.Check.isin(TEAMS)),
        "play_type": pa.Column(str, pa.Check.isin(list(PLAY_TYPES))),
        "yards_gained": pa.Column(int, pa.Check.in_range(-100, 110)),
        "first_down": pa.Column(bool),
        "touchdown": pa.Column(bool),
        "turnover": pa.Column(bool),
        "penalty": pa.Column(bool),
        "desc": pa.Column(str),
        "home_points": _nonneg_int(),
        "away_points": _nonneg_int(),
        "sec_remaining_half": pa.Column(int, pa.Check.in_range(0, 1800)),
        "sec_remaining_game": pa.Column(int, pa.Check.in_range(0, 3600)),
        "home_score_before": _nonneg_int(),
        "away_score_before": _nonneg_int(),
    },
    checks=[
        pa.Check(_clock_monotone, name="clock_non_increasing_within_quarter"),
        pa.Check(lambda df: df["posteam"] != df["defteam"], name="posteam_differs_from_defteam"),
    ],
    unique=["game_id", "play_id"],
    strict=True,
    name="nfl_plays",
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {"games": GAMES, "drives": DRIVES, "plays": PLAYS}


# ---------------------------------------------------------------- college football (league "cfb")
# The college tables (scrimmage.football.cfb, from CollegeFootballData.com) are the same tables:
# the schemas above with only what differs by league replaced. Teams are school names (hundreds
# of them, FBS to Division III; no fixed list), game ids are CFBD's numeric ids, seasons are not
# the bundled NFL years, overtime periods are untimed and unlimited, and the games table adds the
# venue and division columns college needs (neutral site, FBS/FCS, conference) and the book the
# line came from. Every other column, range, key and cross-row check is shared.

#: Periods 1-4, then one per overtime (college overtimes are unlimited: nine in the longest game).
CFB_MAX_QTR = 20
#: CFBD's ``Home Division``/``Away Division`` values; "" where CFBD has none (some non-NCAA teams).
CFB_DIVISIONS = ("fbs", "fcs", "ii", "iii", "")


def _league(base: pa.DataFrameSchema, name: str, update: dict[str, dict], add: dict[str, pa.Column]) -> pa.DataFrameSchema:
    schema = base.update_columns(update).add_columns(add)
    schema.name = name
    return schema


_CFB_QTR = {"checks": [pa.Check.in_range(1, CFB_MAX_QTR)]}
CFB_SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "games": _league(GAMES, "cfb_games", {
        "game_id": {"checks": [pa.Check.str_matches(r"^\d+$")]},
        "season": {"checks": [pa.Check.in_range(2001, 2100)]},
        "home_team": {"checks": [pa.Check.str_length(min_value=1)]},
        "away_team": {"checks": [pa.Check.str_length(min_value=1)]},
    }, {
        "neutral_site": pa.Column(bool),
        "conference_game": pa.Column(bool),
        "home_division": pa.Column(str, pa.Check.isin(list(CFB_DIVISIONS))),
        "away_division": pa.Column(str, pa.Check.isin(list(CFB_DIVISIONS))),
        "home_conference": pa.Column(str),
        "away_conference": pa.Column(str),
        # the book whose line was joined (a games file lists several per game)
        "line_provider": pa.Column(str, nullable=True, required=False),
    }),
    "drives": _league(DRIVES, "cfb_drives", {
        "posteam": {"checks": [pa.Check.str_length(min_value=1)]},
        "qtr": _CFB_QTR, "start_qtr": _CFB_QTR, "end_qtr": _CFB_QTR,
    }, {}),
    "plays": _league(PLAYS, "cfb_plays", {
        "qtr": _CFB_QTR,
        "posteam": {"checks": [pa.Check.str_length(min_value=1)]},
        "defteam": {"checks": [pa.Check.str_length(min_value=1)]},
    }, {}),
}
#: League → its schemas; ``"nfl"`` (the default everywhere) is :data:`SCHEMAS`.
LEAGUE_SCHEMAS: dict[str, dict[str, pa.DataFrameSchema]] = {"nfl": SCHEMAS, "cfb": CFB_SCHEMAS}


def in_schema_order(name: str, df: pd.DataFrame, league: str = "nfl") -> pd.DataFrame:
    """The table's columns in the schema's order; columns the schema lacks go last (strict
    validation then names them)."""
    schema = LEAGUE_SCHEMAS[league][name]
    declared = [c for c in schema.columns if c in df.columns]
    return df[declared + [c for c in df.columns if c not in schema.columns]]


def validate(name: str, df: pd.DataFrame, league: str = "nfl") -> pd.DataFrame:
    """The table in the schema's column order and dtypes, validated; every failing check is
    listed in the :class:`DataError`. ``league`` picks the schemas (``"nfl"`` or ``"cfb"``)."""
    try:
        return LEAGUE_SCHEMAS[league][name].validate(in_schema_order(name, df, league), lazy=True)
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
            f"{league.upper()} {name} table failed validation:\n" + "\n".join(lines[:20])
            + "\nthe source data breaks a rule the ingest does not repair; report it with the game ids"
        ) from None
