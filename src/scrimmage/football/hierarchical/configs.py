"""Options of the hierarchical model family: the ``hierarchical`` model, the ``nfl-hierarchical`` loss and task
(registered by :mod:`scrimmage.football.plugin`).

Light: each ``build()`` imports its implementation (:mod:`.model`, :mod:`.losses`, :mod:`.task`: torch) on call.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

from scrimmage.config.registry import LOSSES, MODELS, TASKS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt
from scrimmage.football.hierarchical.names import HIERARCHICAL_METRICS

_Probability = Annotated[FiniteFloat, Field(ge=0, lt=1)]


class _Options(BaseModel):
    """Nested options (not a registered component): unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_Weight = Annotated[FiniteFloat, Field(ge=0)]



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

    @model_validator(mode="before")
    @classmethod
    def _simulation_moved_to_reports(cls, value: Any, info: ValidationInfo) -> Any:
        """``simulate_n``/``simulate_seed`` became the ``simulate-test-games`` report; checkpoints written before
        still load (their configs are validated with ``check_files`` off), recipes are told where it went."""
        moved = [key for key in ("simulate_n", "simulate_seed") if isinstance(value, dict) and key in value]
        if not moved:
            return value
        if (info.context or {}).get("check_files") is False:
            return {k: v for k, v in value.items() if k not in moved}
        raise ValueError(f"task.{moved[0]} moved to the reports: list `reports: [{{name: hierarchical-baselines}}, "
                         "{name: simulate-test-games, n: 100, seed: 0}]` (n: 0 = leave simulate-test-games out)")

    def loss_weight_names(self, data: Component) -> list[str] | None:
        return ["play", "drive", "game", "state"]
