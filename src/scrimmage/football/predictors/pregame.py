"""The ``nfl-pregame`` predictor: a checkpoint's home points, away points, margin and P(home win) for chosen games.

``scrimmage predict RUN --season 2019 --week 10`` (or ``load_model(RUN).predict(season=2019, week=10)``)
predicts games in the ingested data; ``--games FILE.csv`` (columns ``date, home, away``) predicts
future fixtures. Either way the features are rebuilt from the ingested tables with the
checkpoint's own data config by the same leakage-safe code the training used, and must come
out with exactly the checkpoint's feature names; team ids come from the checkpoint's vocabulary.

Selection (``--season`` or ``--games``, exactly one):

* ``--season S [--week W] [--season-type REG|POST]``: the games of season S in the data (the
  config's ``season_types``). Game Center numbers regular-season weeks 1-17 and playoff rounds
  1-5 again, so ``--week`` means a regular-season week unless ``--season-type POST`` is given.
* ``--games FILE.csv``: fixtures dated after the last game in the data. They are appended to
  the games table with unknown scores, so each fixture's pregame features come from the whole
  history up to it, as if the fixtures were the next games played. Unknown scores teach nothing:
  team form skips them (its EWM ignores missing values and counts only observed games), Elo
  does not update on them and the power ratings never fit on them, so one fixture's result can
  never reach a later fixture. Schedule facts do follow the fixtures (rest days, games played,
  first game of a season). A fixture's season is its date's year, or the year before for
  January and February dates (NFL seasons end in February); it is a regular-season game (a
  playoff game only when the config's ``season_types`` is ``[POST]``); its week counts NFL weeks
  (Tuesday to Monday) on from the season's last regular-season week in the data, or from
  week 1 at the season's first fixture when the data holds none of that season. Its
  ``game_id`` is ``fixture-<date>-<away>@<home>``.

Each row: ``game_id, season, week, home, away, home_points, away_points, margin,
home_win_prob`` (Normal cdf of margin / 13.5), then the actual ``home_score, away_score`` for a
game already played and ``spread_home, total_line`` (closing line, home-negative) when the
games carry betting lines (``data.lines`` or lines joined at ingest).

An ensemble checkpoint (``loop: ensemble``) predicts the members' mean, and each row adds
``margin_spread`` (the standard deviation of the members' margins) and ``agreement`` (the share
of members that pick the winner most members pick: 1.0 when all agree, 0.5 for an even split).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scrimmage.errors import ArgumentError, DataError
from scrimmage.football.common.teams import canonical_team, team_from_name
from scrimmage.football.ratings.metrics import MARGIN_SIGMA, normal_cdf

if TYPE_CHECKING:
    from scrimmage.export.checkpoint import LoadedModel
    from scrimmage.football.datasets.nfl_pregame import PregameDataConfig

DATASET = "nfl-pregame"
TARGETS = ("home", "away", "margin")
FIXTURE_COLUMNS = ("date", "home", "away")
LINE_COLUMNS = ("spread_home", "total_line")


class PredictQuery(BaseModel):
    """What to predict: games of the data (``season``, ``week``, ``season_type``) or future fixtures (``games``)."""

    model_config = ConfigDict(extra="forbid")

    season: int | None = Field(None, description="Season of the data to predict (e.g. 2019).")
    week: int | None = Field(None, description="Week of that season (regular season unless season_type is POST).")
    season_type: Literal["REG", "POST"] | None = Field(None, description="REG or POST games of the season.")
    games: Path | None = Field(None, description="CSV of future fixtures (date, home, away), dated after the data's last game.")


def parse_query(query: dict[str, Any], schema: type[PredictQuery] = PredictQuery, dataset: str = DATASET) -> PredictQuery:
    """Validate the selection options (CLI strings convert) against ``schema``; errors name the option as ``--name``."""
    options = list(schema.model_fields)
    for key in query:
        if key not in options:
            close = difflib.get_close_matches(key, options, n=1)
            hint = f" Did you mean --{close[0].replace('_', '-')}?" if close else ""
            valid = ", ".join(f"--{o.replace('_', '-')}" for o in options)
            raise ArgumentError(f"unknown option --{key.replace('_', '-')} for {dataset} predictions.{hint} Valid options: {valid}.")
    values = dict(query)
    if isinstance(values.get("season_type"), str):
        values["season_type"] = values["season_type"].strip().upper()
    try:
        q = schema.model_validate(values)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = str(error["loc"][0]).replace("_", "-") if error["loc"] else "options"
        raise ArgumentError(f"--{name}: {error['msg'][:1].lower()}{error['msg'][1:]}, got {error.get('input')!r}.") from None
    if q.games is not None and any(v is not None for v in (q.season, q.week, q.season_type)):
        raise ArgumentError("--games predicts future fixtures and cannot be combined with --season/--week/--season-type; pass one or the other.")
    if q.games is None and q.season is None:
        hint = " (--week needs --season)" if q.week is not None or q.season_type is not None else ""
        raise ArgumentError(
            f"say what to predict{hint}: --season 2019 [--week 10] for games in the data, "
            "or --games FILE.csv (columns date, home, away) for future fixtures."
        )
    return q


def predict_games(loaded: LoadedModel, workdir: Path, **query: Any) -> list[dict[str, Any]]:
    """Predictions for the games ``query`` selects (see the module docstring); one dict per game."""
    from scrimmage.football.datasets.pregame import pregame_examples, pregame_games
    from scrimmage.football.nfl.ingest import load_nfl_table, require_nfl_tables

    q = parse_query(query)
    cfg = _pregame_config(loaded)
    vocabulary = list(loaded.spec.vocabularies.get("team", ()))
    if not vocabulary:
        raise ArgumentError(f"{loaded.path} holds no team vocabulary; retrain it with this scrimmage version to predict from it.")
    raw_fixtures = _read_fixtures(Path(q.games), vocabulary) if q.games is not None else None

    require_nfl_tables(workdir, "predict")  # never ingests: a workdir without current tables is an error
    table = load_nfl_table(workdir, "games")
    if raw_fixtures is None:  # checked on the games table first: a bad season fails before any feature is built
        wanted, fixtures = select_games(table[table["season_type"].isin(cfg.season_types)], q, cfg)["game_id"], None
    else:
        fixtures = _fixture_games(raw_fixtures, table, cfg, Path(q.games))
        wanted = fixtures["game_id"]
    games, _ = pregame_games(cfg, workdir, fixtures)
    frame, feature_columns, _ = pregame_examples(games, cfg)
    _check_features(feature_columns, loaded, workdir)
    rows = frame[frame["game_id"].isin(set(wanted))].reset_index(drop=True)
    return _predict_rows(loaded, rows, vocabulary, played=fixtures is None)


# --------------------------------------------------------------------------- checkpoint and features

def _pregame_config(loaded: LoadedModel) -> PregameDataConfig:
    data, task = loaded.config.data, loaded.config.task.name
    if data.name != DATASET or task != "regression" or tuple(loaded.spec.target_names) != TARGETS:
        raise ArgumentError(
            f"{loaded.path} is a {task} model on dataset '{data.name}' (targets {', '.join(loaded.spec.target_names)}); "
            f"--season/--games predict with an {DATASET} regression checkpoint (targets home, away, margin)."
        )
    return data  # type: ignore[return-value]


def _check_features(columns: list[str], loaded: LoadedModel, workdir: Path) -> None:
    expected = list(loaded.spec.feature_names)
    if columns == expected:
        return
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
    detail = "; ".join(part for part in (
        f"the model needs {missing}, which the tables no longer give" if missing else "",
        f"the tables give {extra}, which the model never saw" if extra else "",
    ) if part)
    raise DataError(
        f"the features rebuilt from the NFL tables in {workdir} do not match the ones {loaded.path} was trained on "
        f"({detail or 'same names in another order'}). The tables were probably ingested by another scrimmage version: "
        "re-ingest them (`scrimmage data nfl --force`) with the version that trained the model, or retrain it."
    )


# --------------------------------------------------------------------------- --season / --week

def select_games(frame: pd.DataFrame, q: PredictQuery, cfg: PregameDataConfig) -> pd.DataFrame:
    seasons = sorted(int(s) for s in frame["season"].unique())
    if q.season not in seasons:
        raise ArgumentError(
            f"season {q.season} is not in the data; seasons available: {_ranges(seasons)}. "
            "For games after the data pass --games FILE.csv (columns date, home, away)."
        )
    season = frame[frame["season"] == q.season]
    if q.season_type is not None:
        if q.season_type not in set(season["season_type"]):
            kept = ", ".join(sorted(set(season["season_type"])))
            raise ArgumentError(
                f"season {q.season} has no {q.season_type} games among the model's examples "
                f"(data.season_types {list(cfg.season_types)}); it has {kept}."
            )
        season = season[season["season_type"] == q.season_type]
    if q.week is not None:
        kind = q.season_type or "REG"
        weeks = season[season["season_type"] == kind]
        if q.week not in set(weeks["week"]):
            available = "; ".join(
                f"{t} weeks {_ranges(sorted(int(w) for w in season.loc[season['season_type'] == t, 'week'].unique()))}"
                for t in ("REG", "POST") if t in set(season["season_type"])
            )
            post = " (playoff rounds: --season-type POST --week N)" if q.season_type is None and "POST" in set(season["season_type"]) else ""
            raise ArgumentError(f"season {q.season} has no {kind} week {q.week} in the data; it has {available}{post}.")
        season = weeks[weeks["week"] == q.week]
    return season.reset_index(drop=True)


def _ranges(values: list[int]) -> str:
    """``[2009, 2010, 2011, 2013]`` → ``"2009-2011, 2013"``."""
    parts: list[str] = []
    start = prev = None
    for v in [*values, None]:
        if v is not None and prev is not None and v == prev + 1:
            prev = v
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = v
    return ", ".join(parts)


# --------------------------------------------------------------------------- --games FILE.csv

def _read_fixtures(path: Path, vocabulary: list[str]) -> pd.DataFrame:
    """The fixtures file checked row by row: parsed dates and canonical team codes."""
    if not path.is_file():
        raise ArgumentError(f"fixtures file {path} not found; pass a CSV with columns date, home, away (e.g. 2020-09-10,KC,HOU).")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ArgumentError(f"fixtures file {path} is not a readable CSV ({reason}); expected columns date, home, away.") from None
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in FIXTURE_COLUMNS if c not in raw.columns]
    if missing:
        raise ArgumentError(
            f"fixtures file {path} lacks columns {missing} (it has {list(raw.columns)}); "
            "expected a header line 'date,home,away' and rows like 2020-09-10,KC,HOU."
        )
    if raw.empty:
        raise ArgumentError(f"fixtures file {path} holds no fixtures; add rows like 2020-09-10,KC,HOU under its header.")

    valid = set(vocabulary)
    out = {"date": [], "home": [], "away": []}
    for line, row in zip(range(2, len(raw) + 2), raw.itertuples(index=False), strict=False):
        text = str(row.date).strip()
        date = pd.to_datetime(text, format="ISO8601", errors="coerce")
        if pd.isna(date):
            raise ArgumentError(f"{path} line {line}: date {text!r} is not a date; write dates as YYYY-MM-DD.")
        teams = []
        for side in ("home", "away"):
            value = str(getattr(row, side)).strip()
            code = team_from_name(value) or canonical_team(value)
            if code not in valid:
                raise ArgumentError(
                    f"{path} line {line}: unknown {side} team {value!r}. Valid codes: {', '.join(sorted(valid))} "
                    "(aliases such as JAC, STL, SD, LV and full names such as 'Kansas City Chiefs' are accepted)."
                )
            teams.append(code)
        if teams[0] == teams[1]:
            raise ArgumentError(f"{path} line {line}: home and away are both {teams[0]}; a team cannot play itself.")
        out["date"].append((date.tz_localize(None) if date.tzinfo else date).normalize())
        out["home"].append(teams[0])
        out["away"].append(teams[1])
    fixtures = pd.DataFrame(out)
    fixtures["line"] = range(2, len(fixtures) + 2)
    long = pd.concat([fixtures[["date", "home", "line"]].set_axis(["date", "team", "line"], axis=1),
                      fixtures[["date", "away", "line"]].set_axis(["date", "team", "line"], axis=1)])
    twice = long[long.duplicated(["date", "team"], keep=False)].sort_values("line")
    if not twice.empty:
        first = twice.iloc[0]
        lines = twice[(twice["date"] == first["date"]) & (twice["team"] == first["team"])]["line"].tolist()
        raise ArgumentError(
            f"{path}: {first['team']} plays twice on {first['date']:%Y-%m-%d} (lines {', '.join(map(str, lines))}); "
            "a team plays at most one game a day."
        )
    return fixtures


def _fixture_games(fixtures: pd.DataFrame, games: pd.DataFrame, cfg: PregameDataConfig, path: Path) -> pd.DataFrame:
    """Fixture rows in the games-table contract (scores unknown), with season, week and game id assigned."""
    last = pd.Timestamp(games["date"].max()).normalize()
    early = fixtures[fixtures["date"] <= last]
    if not early.empty:
        row = early.iloc[0]
        raise ArgumentError(
            f"{path} line {row['line']}: fixture dated {row['date']:%Y-%m-%d} is inside the training data, whose last game "
            f"is on {last:%Y-%m-%d}; --games predicts games after that (use --season/--week for games in the data)."
        )
    f = fixtures.sort_values(["date", "line"], kind="stable").reset_index(drop=True)
    season = np.where(f["date"].dt.month >= 3, f["date"].dt.year, f["date"].dt.year - 1).astype(np.int64)
    season_type = "REG" if "REG" in cfg.season_types else "POST"
    reg = games[games["season_type"] == "REG"].assign(date=lambda d: pd.to_datetime(d["date"]))
    week = np.empty(len(f), dtype=np.int64)
    for s in np.unique(season):
        mine = season == s
        in_data = reg[reg["season"] == s]
        if len(in_data):
            anchor = in_data.sort_values(["date", "week"]).iloc[-1]
            start, first_week = _week_start(pd.Timestamp(anchor["date"])), int(anchor["week"])
        else:
            start, first_week = _week_start(f.loc[mine, "date"].min()), 1
        offsets = np.array([(_week_start(d) - start).days // 7 for d in f.loc[mine, "date"]], dtype=np.int64)
        week[mine] = first_week + offsets
    return pd.DataFrame({
        "game_id": [f"fixture-{d:%Y-%m-%d}-{a}@{h}" for d, h, a in zip(f["date"], f["home"], f["away"], strict=True)],
        "season": season,
        "week": week,
        "season_type": season_type,
        "date": f["date"].astype(games["date"].dtype),
        "home_team": f["home"],
        "away_team": f["away"],
        "home_score": np.nan,
        "away_score": np.nan,
    })


def _week_start(date: pd.Timestamp) -> pd.Timestamp:
    """The Tuesday that starts the NFL week of ``date`` (weeks run Tuesday to Monday)."""
    date = pd.Timestamp(date).normalize()
    return date - pd.Timedelta(days=(date.weekday() - 1) % 7)


# --------------------------------------------------------------------------- the model

def _predict_rows(loaded: LoadedModel, rows: pd.DataFrame, vocabulary: list[str], played: bool) -> list[dict[str, Any]]:
    if rows.empty:
        return []
    index_of = {team: i for i, team in enumerate(vocabulary)}
    teams = pd.concat([rows["home_team"], rows["away_team"]])
    unknown = sorted(set(teams) - set(index_of))
    if unknown:
        raise DataError(
            f"team(s) {unknown} of the selected games are not in the checkpoint's team vocabulary "
            f"({', '.join(vocabulary)}); the tables hold teams the model never saw: retrain on them."
        )
    x = rows[list(loaded.spec.feature_names)].to_numpy(np.float32)
    if not np.isfinite(x).all():
        bad = [c for c in loaded.spec.feature_names if not np.isfinite(rows[c].to_numpy(np.float64)).all()]
        raise DataError(f"pregame features contain NaN/inf in columns {bad}; rebuild the tables with `scrimmage data nfl --force`.")
    cat = np.stack([rows["home_team"].map(index_of).to_numpy(np.int64), rows["away_team"].map(index_of).to_numpy(np.int64)], axis=1)
    tensors = {"x": torch.from_numpy(x), "cat": torch.from_numpy(cat)}
    out = loaded.predict_tensors(tensors)
    home, away, margin = (np.asarray(out[f"{t}_pred"], dtype=np.float64) for t in TARGETS)
    spread = agreement = None
    if loaded.members:
        margins = np.stack([np.asarray(m["margin_pred"], dtype=np.float64) for m in loaded.predict_members(tensors)])
        spread = margins.std(axis=0)
        home_share = (margins > 0).mean(axis=0)
        agreement = np.maximum(home_share, 1.0 - home_share)  # the majority's share, whichever side it takes
    prob = normal_cdf(margin / MARGIN_SIGMA)
    lines = [c for c in LINE_COLUMNS if c in rows.columns and rows[c].notna().any()]

    result: list[dict[str, Any]] = []
    for i, row in enumerate(rows.itertuples(index=False)):
        item: dict[str, Any] = {
            "game_id": str(row.game_id), "season": int(row.season), "week": int(row.week),
            "home": str(row.home_team), "away": str(row.away_team),
            "home_points": float(home[i]), "away_points": float(away[i]), "margin": float(margin[i]),
            "home_win_prob": float(prob[i]),
        }
        if spread is not None and agreement is not None:
            item["margin_spread"] = float(spread[i])
            item["agreement"] = float(agreement[i])
        if played:
            item["home_score"] = _score(row.home_score)
            item["away_score"] = _score(row.away_score)
        for column in lines:
            value = getattr(row, column)
            item[column] = None if pd.isna(value) else float(value)
        result.append(item)
    return result


def _score(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
