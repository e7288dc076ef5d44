"""``cfb-games``: the dataset's options (registered by :mod:`scrimmage.football.plugin`).

Light: its ``build(workdir)`` imports the builder (:mod:`.games`: pandas, torch, the college ingest) on call.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from scrimmage.config.registry import DATASETS
from scrimmage.config.types import FiniteFloat, Int, PositiveInt
from scrimmage.football.common.playtypes import PLAYCALL_CLASSES
from scrimmage.football.common.splits import WeekSplits

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle


@DATASETS.register
class CfbGamesConfig(WeekSplits):
    """College games (CollegeFootballData.com) as sequences of snaps, split by week: the nfl-games task on cfb tables.

    Reads the tables of ``scrimmage data cfb`` from ``<workdir>/data/cfb``; with ``source`` and
    ``games`` set it runs that ingest first (cached: a no-op when the tables were built from the
    same files). Regular-season games of one season (CFBD numbers postseason weeks from 1 again,
    so a week range cannot place them). Teams with fewer than ``min_team_games`` games in the
    training weeks share the ``UNKNOWN`` team id, so no test or validation game reads an
    embedding that training never updated (a team seen once would barely move its own).
    """

    name: Literal["cfb-games"] = "cfb-games"
    source: Path | None = Field(
        None, description="Folder of CFBD play-by-play CSVs (one <game_id>.csv per game) to ingest first; "
                          "null reads the tables `scrimmage data cfb` wrote under <workdir>/data/cfb.",
    )
    games: Path | None = Field(None, description="With source: the CFBD games file (win_loss.csv): home/away, neutral site, divisions.")
    lines: Path | None = Field(None, description="With source: the CFBD betting-lines file (betting_lines.csv); one line per game by book priority.")
    season: Int | None = Field(None, description="Season whose weeks are split (null: the tables' only season).")
    min_team_games: PositiveInt = Field(
        2, description="Teams with fewer training-week games than this share the UNKNOWN team id (embedding)."
    )
    context_features: bool = Field(
        True, description="Repeat the game's neutral site and the home/away FBS and FCS division flags at every play."
    )
    pregame_features: bool = Field(True, description="Repeat the nfl-pregame recipe's features (form, Elo, ratings) at every play.")
    halflife_games: FiniteFloat = Field(10.0, gt=0, description="Pregame features: half-life, in games, of the team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Pregame features: weight, in games, of last season's form early on.")
    team_embeddings: bool = Field(True, description="Feed offense/defense ids (one shared team embedding) at every play.")

    @field_validator("source", "games", "lines")
    @classmethod
    def _path_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load time, before any long work; a model loaded from its checkpoint skips it.
        if value is not None and (info.context or {}).get("check_files", True) and not value.exists():
            raise ValueError(f"{value} not found; pass the path of the CFBD export (see `scrimmage data cfb --help`)")
        return value

    @model_validator(mode="after")
    def _source_with_games(self) -> CfbGamesConfig:
        if (self.source is None) != (self.games is None):
            raise ValueError("data.source and data.games go together (the play-by-play folder and its games file); "
                             "set both, or neither to read the tables of `scrimmage data cfb`")
        if self.lines is not None and self.source is None:
            raise ValueError("data.lines is joined by the ingest: set data.source and data.games with it")
        return self

    def class_names(self) -> tuple[str, ...]:
        """Play-type classes of the play head (the same as nfl-games)."""
        return tuple(c for c in PLAYCALL_CLASSES if c != "sack")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.datasets.games import build_cfb_games

        return build_cfb_games(self, workdir)

