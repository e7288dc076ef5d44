"""Football datasets' options (``data.name``), registered with the core by :mod:`scrimmage.football.plugin`.

Schemas only (pydantic): ``build(workdir)`` imports pandas and the feature code on call.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from scrimmage.config.registry import DATASETS, Component
from scrimmage.config.types import FiniteFloat, Int

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle

SeasonRange = tuple[Int, Int]


class SeasonSplits(Component):
    """Seasons split into train / validation / test ranges that must not overlap."""

    train_seasons: SeasonRange = Field((2009, 2016), description="First and last season (inclusive) used for training.")
    val_seasons: SeasonRange = Field((2017, 2017), description="First and last season (inclusive) used for validation.")
    test_seasons: SeasonRange = Field((2018, 2019), description="First and last season (inclusive) held out for the test report.")

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SeasonSplits:
        check_split_ranges({"train_seasons": self.train_seasons, "val_seasons": self.val_seasons,
                            "test_seasons": self.test_seasons}, "seasons")
        return self


def check_split_ranges(ranges: dict[str, tuple[int, int]], unit: str) -> None:
    """Each ``[first, last]`` range ordered, and no two of them sharing a season (or week)."""
    for name, (first, last) in ranges.items():
        if first > last:
            raise ValueError(f"data.{name} must be [first, last] with first <= last, got [{first}, {last}]")
    names = list(ranges)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if ranges[a][0] <= ranges[b][1] and ranges[b][0] <= ranges[a][1]:
                raise ValueError(f"data.{a} {list(ranges[a])} overlaps data.{b} {list(ranges[b])}; splits must not share {unit}")


class NFLGames(SeasonSplits):
    """Season splits of REG/POST games, with an optional betting-lines file joined onto them."""

    lines: Path | None = Field(
        None, description="Betting-lines CSV ('NFL scores and betting data' format) to join; enables the closing-line baseline."
    )
    season_types: list[Literal["REG", "POST"]] = Field(["REG", "POST"], min_length=1, description="Game types that become examples.")

    @field_validator("lines")
    @classmethod
    def _lines_file_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load time, before any long work; a model loaded from its checkpoint skips it.
        if value is not None and (info.context or {}).get("check_files", True) and not value.is_file():
            raise ValueError(f"betting-lines file {value} not found; pass the path of a spreadspoke_scores.csv file")
        return value


@DATASETS.register
class PregameDataConfig(NFLGames):
    """NFL games: pregame team form, Elo and power ratings → home points, away points and margin."""

    name: Literal["nfl-pregame"] = "nfl-pregame"
    halflife_games: FiniteFloat = Field(6.0, gt=0, description="Half-life, in games, of the exponentially weighted team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Weight, in games, of last season's form in early-season shrinkage.")
    team_embeddings: bool = Field(True, description="Feed home/away team ids to the model (learned team embeddings).")
    elo_features: bool = Field(True, description="Add pregame Elo ratings (from earlier games only) as features.")
    rating_features: bool = Field(True, description="Add time-decayed Massey power ratings (earlier games only) as features.")
    rating_halflife_days: FiniteFloat = Field(150.0, gt=0, description="Days for a result's weight in the power ratings to halve.")
    rating_ridge: FiniteFloat = Field(2.0, ge=0, description="Ridge shrinkage of power ratings toward average.")

    def targets(self) -> tuple[str, ...]:
        """The regression targets (known without building the data, so the monitor is checked at load time)."""
        return ("home", "away", "margin")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.pregame import build_nfl_pregame

        return build_nfl_pregame(self, workdir)


#: Every class the play-call dataset can make, in class-index order (its options pick a subset).
PLAYCALL_CLASSES = ("run", "pass", "sack", "punt", "field_goal", "kneel", "spike")


def _increasing(values: list[int], field: str) -> list[int]:
    if any(b <= a for a, b in pairwise(values)):
        raise ValueError(f"data.{field} must be strictly increasing, got {values}")
    return values


@DATASETS.register
class PlaycallDataConfig(SeasonSplits):
    """NFL play calls: the game state before each offensive snap → run, pass, punt, field goal, kneel or spike."""

    name: Literal["nfl-playcall"] = "nfl-playcall"
    season_types: list[Literal["PRE", "REG", "POST"]] = Field(
        ["REG", "POST"], min_length=1, description="Game types whose snaps become examples (preseason calls are vanilla)."
    )
    sacks_as_pass: bool = Field(True, description="Count sacks as pass calls (a called dropback); false keeps 'sack' as a class.")
    scrambles_as_pass: bool = Field(True, description="Count QB scrambles (recorded as runs) as pass calls.")
    kneels_spikes: Literal["classes", "merge", "drop"] = Field(
        "classes", description="Kneels and spikes: own classes, merged (kneel→run, spike→pass) or dropped."
    )
    no_plays: Literal["recover", "drop"] = Field(
        "recover", description="Snaps nullified by a penalty: recover the call from the description, or drop them all."
    )
    team_embeddings: bool = Field(True, description="Feed offense/defense team ids to the model (one shared team embedding).")
    season_feature: bool = Field(True, description="Add the season as a numeric feature (league-wide trends such as more passing).")
    distance_edges: list[Int] = Field(
        [2, 3, 4, 7, 11], min_length=1,
        description="Situation baseline: lower edges of the yards-to-go buckets after the first (1, 2, 3, 4-6, 7-10, 11+).",
    )
    field_edges: list[Int] = Field(
        [10, 20, 40, 60, 80, 95], min_length=1,
        description="Situation baseline: edges of the field zones, in yards from the offense's own goal line (yardline_100).",
    )
    score_edges: list[Int] = Field(
        [-16, -8, -3, 0, 1, 4, 9, 17], min_length=1,
        description="Situation baseline: lower edges of the offense's score-difference buckets after the first.",
    )
    situation_smoothing: FiniteFloat = Field(
        1.0, ge=0,
        description="Situation baseline: pseudo-plays pulling each cell toward the overall training mix (1 was best on 2017).",
    )

    @model_validator(mode="after")
    def _edges_increasing(self) -> PlaycallDataConfig:
        for field in ("distance_edges", "field_edges", "score_edges"):
            _increasing(getattr(self, field), field)
        return self

    def class_names(self) -> tuple[str, ...]:
        """The classes, in class-index order (known without building the data)."""
        dropped = {"sack"} if self.sacks_as_pass else set()
        if self.kneels_spikes != "classes":
            dropped |= {"kneel", "spike"}
        return tuple(c for c in PLAYCALL_CLASSES if c not in dropped)

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.playcall import build_nfl_playcall

        return build_nfl_playcall(self, workdir)


# ---- the hierarchical play → drive → game model (scrimmage.football.hierarchical) -----------------
from typing import Annotated, Any, ClassVar  # noqa: E402

from pydantic import BaseModel, ConfigDict  # noqa: E402

from scrimmage.config.registry import LOSSES, MODELS, TASKS  # noqa: E402
from scrimmage.config.types import NonNegativeInt, PositiveInt  # noqa: E402

_Probability = Annotated[FiniteFloat, Field(ge=0, lt=1)]


class _Options(BaseModel):
    """Nested options (not a registered component): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
_Weight = Annotated[FiniteFloat, Field(ge=0)]


@DATASETS.register
class HierarchicalDataConfig(NFLGames):
    """NFL games as sequences of snaps: per-play state + pregame features → play, drive and game targets."""

    name: Literal["nfl-games"] = "nfl-games"
    pregame_features: bool = Field(True, description="Repeat the nfl-pregame recipe's features (form, Elo, ratings) at every play.")
    halflife_games: FiniteFloat = Field(10.0, gt=0, description="Pregame features: half-life, in games, of the team form.")
    prior_games: FiniteFloat = Field(4.0, ge=0, description="Pregame features: weight, in games, of last season's form early on.")
    team_embeddings: bool = Field(True, description="Feed offense/defense ids (one shared team embedding) at every play.")
    season_embedding: bool = Field(True, description="Feed a season id (seasons outside training map to the nearest training season).")

    def class_names(self) -> tuple[str, ...]:
        """Play-type classes of the play head (the nfl-playcall recipe's defaults)."""
        return tuple(c for c in PLAYCALL_CLASSES if c != "sack")

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.football.hierarchical.dataset import build_nfl_games

        return build_nfl_games(self, workdir)


WeekRange = tuple[Int, Int]


class WeekSplits(Component):
    """Weeks of one season split into train / validation / test ranges that must not overlap."""

    train_weeks: WeekRange = Field((1, 9), description="First and last week (inclusive) used for training.")
    val_weeks: WeekRange = Field((10, 11), description="First and last week (inclusive) used for validation.")
    test_weeks: WeekRange = Field((12, 16), description="First and last week (inclusive) held out for the test report.")

    @model_validator(mode="after")
    def _weeks_ordered(self) -> WeekSplits:
        check_split_ranges({"train_weeks": self.train_weeks, "val_weeks": self.val_weeks, "test_weeks": self.test_weeks},
                           "weeks")
        return self


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
        from scrimmage.football.hierarchical.dataset import build_cfb_games

        return build_cfb_games(self, workdir)


@MODELS.register
class HierarchicalModelConfig(Component):
    """Causal encoder (LSTM, GRU or Transformer) over a game's plays with play, drive and game heads per play."""

    name: Literal["hierarchical"] = "hierarchical"
    encoder: Literal["lstm", "gru", "transformer"] = Field("lstm", description="Sequence encoder over the game's plays (all causal).")
    hidden: list[PositiveInt] = Field([256, 128], min_length=1, description="lstm/gru: units of each recurrent layer, first to last.")
    dropout: list[_Probability] = Field([0.15, 0.20], min_length=1, description="lstm/gru: dropout after each recurrent layer (one per layer).")
    layer_norm: bool = Field(True, description="lstm/gru: layer normalisation after each recurrent layer.")
    d_model: PositiveInt = Field(128, description="transformer: width of the residual stream.")
    heads: PositiveInt = Field(4, description="transformer: attention heads.")
    layers: PositiveInt = Field(2, description="transformer: blocks.")
    ff_width: PositiveInt = Field(256, description="transformer: feed-forward width.")
    transformer_dropout: _Probability = Field(0.1, description="transformer: dropout.")
    max_len: PositiveInt = Field(512, description="transformer: longest game in plays (a longer one is an error, never truncated).")
    embedding_dim: NonNegativeInt = Field(8, description="Width of the team and season embeddings (0 disables them).")
    embedding_dropout: _Probability = Field(0.1, description="Dropout on the embeddings.")
    play_head: list[PositiveInt] = Field([128], description="Hidden widths of the play head (type, success flags, yard bins).")
    play_dropout: _Probability = Field(0.3, description="Dropout in the play head.")
    drive_head: list[PositiveInt] = Field([64], description="Hidden widths of the drive head (outcome, metrics).")
    drive_dropout: _Probability = Field(0.25, description="Dropout in the drive head.")
    game_head: list[PositiveInt] = Field([64], description="Hidden widths of the game head (points, stats, win probability).")
    game_dropout: _Probability = Field(0.2, description="Dropout in the game head.")

    @model_validator(mode="after")
    def _shapes(self) -> HierarchicalModelConfig:
        if len(self.dropout) != len(self.hidden):
            raise ValueError(f"model.dropout has {len(self.dropout)} values for {len(self.hidden)} layers; give one per layer")
        if self.d_model % self.heads:
            raise ValueError(f"model.heads ({self.heads}) must divide model.d_model ({self.d_model})")
        return self

    def build(self, spec: Any, n_outputs: int) -> Any:
        from scrimmage.football.hierarchical.model import HierarchicalNet

        return HierarchicalNet(spec, self)


class PlayLossConfig(_Options):
    """Play-level loss parts."""

    type: _Weight = Field(0.3, description="Weight of the play-type cross-entropy.")
    success: _Weight = Field(0.4, description="Weight of the success-flag BCE (balanced positive weights).")
    yards: _Weight = Field(0.3, description="Weight of the yard-bin cross-entropy.")
    label_smoothing: _Probability = Field(0.1, description="Label smoothing of the play type.")


class DriveLossConfig(_Options):
    """Drive-level loss parts."""

    outcome: _Weight = Field(0.6, description="Weight of the drive-outcome cross-entropy.")
    metrics: _Weight = Field(0.4, description="Weight of the drive-metrics MSE (standardised).")
    label_smoothing: _Probability = Field(0.05, description="Label smoothing of the drive outcome.")


class GameLossConfig(_Options):
    """Game-level loss parts."""

    points: _Weight = Field(0.25, description="Weight of the final-score MSE (home/away/margin, standardised).")
    points_weights: tuple[_Weight, _Weight, _Weight] = Field((0.33, 0.33, 0.34), description="Home, away, margin weights inside points.")
    volume: _Weight = Field(0.25, description="Weight of the volume stats MSE.")
    efficiency: _Weight = Field(0.25, description="Weight of the efficiency stats MSE.")
    explosiveness: _Weight = Field(0.25, description="Weight of the explosive-plays MSE.")
    win: _Weight = Field(0.25, description="Weight of the home-win BCE (the win-probability output; not in the original).")
    pregame_share: FiniteFloat = Field(
        0.5, gt=0, lt=1, description="Share of each game's game-level loss on its play-0 (pregame) prediction; the live plays share the rest."
    )


class StateLossConfig(_Options):
    """State-level loss parts."""

    transition: _Weight = Field(0.4, description="Weight of transition validity (yards beyond the goal line or behind the field).")
    hierarchy: _Weight = Field(0.4, description="Weight of hierarchical consistency (play scoring vs drive outcome).")
    temporal: _Weight = Field(0.2, description="Weight of temporal coherence (final below current score, drive shorter than so far).")
    impossible_state: _Weight = Field(10.0, description="Penalty per unit of impossible-state probability.")
    inconsistent_prediction: _Weight = Field(5.0, description="Penalty per unit of inconsistent probability.")
    temporal_violation: _Weight = Field(3.0, description="Penalty per standardised unit of temporal violation.")


@LOSSES.register
class HierarchicalLossConfig(Component):
    """Play, drive, game and state-consistency losses of the hierarchical football model, summed with level weights."""

    kind: ClassVar[str] = "hierarchical"
    name: Literal["nfl-hierarchical"] = "nfl-hierarchical"
    levels: dict[Literal["play", "drive", "game", "state"], _Weight] = Field(
        {"play": 1.0, "drive": 1.0, "game": 1.0, "state": 0.1},
        description="Level weights of the total (phases set them via loss_weights); missing levels weigh 1.",
    )
    play: PlayLossConfig = Field(default_factory=PlayLossConfig, description="Play-level parts.")
    drive: DriveLossConfig = Field(default_factory=DriveLossConfig, description="Drive-level parts.")
    game: GameLossConfig = Field(default_factory=GameLossConfig, description="Game-level parts.")
    state: StateLossConfig = Field(default_factory=StateLossConfig, description="State-consistency parts.")

    def build(self, info: Any) -> Any:
        from scrimmage.football.hierarchical.losses import HierarchicalLoss

        return HierarchicalLoss(self, info)


HIERARCHICAL_METRICS = (
    "loss", "loss_play", "loss_drive", "loss_game", "loss_state",
    "pregame_home_rmse", "pregame_away_rmse", "pregame_margin_rmse", "pregame_game_rmse_combined", "brier",
    "play_type_accuracy", "success_auroc", "yards_ev_mae", "yards_log_loss", "drive_outcome_accuracy",
    "drive_metrics_rmse", "live_margin_rmse", "live_wp_calibration_error", "live_brier", "state_consistency_rate",
)


@TASKS.register
class HierarchicalTaskConfig(Component):
    """Multi-level football model: play type/success/yards, drive outcome/metrics, final score and stats at every play."""

    name: Literal["nfl-hierarchical"] = "nfl-hierarchical"
    loss_kind: ClassVar[str] = "hierarchical"
    wp_bins: PositiveInt = Field(20, description="Bins of the live win-probability calibration error (20 = 0.05 wide).")

    def build(self, spec: Any) -> Any:
        from scrimmage.football.hierarchical.task import HierarchicalTask

        return HierarchicalTask(spec, self)

    def expected_metrics(self, data: Component) -> list[str] | None:
        return [f"val/{name}" for name in HIERARCHICAL_METRICS]

    def loss_weight_names(self, data: Component) -> list[str] | None:
        return ["play", "drive", "game", "state"]
