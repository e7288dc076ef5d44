"""The run configuration: pydantic schemas that are the single source of truth for every option.

Every field has a default and a one-line description; unknown keys are errors (``extra="forbid"``),
so a typo never silently falls back to a default. Field names are a public contract
(``trainer.epochs``, ``optim.lr``, ``early_stopping.metric``, ``data.lines`` ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Section(BaseModel):
    """Base for config sections: unknown keys are errors, assignments are validated."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


SeasonRange = tuple[int, int]


class DataConfig(Section):
    name: str = Field("nfl-pregame", description="Dataset builder from the data registry (nfl-pregame).")
    lines: Path | None = Field(
        None, description="Betting-lines CSV ('NFL scores and betting data' format) to join; enables the closing-line baseline."
    )
    train_seasons: SeasonRange = Field((2009, 2016), description="First and last season (inclusive) used for training.")
    val_seasons: SeasonRange = Field((2017, 2017), description="First and last season (inclusive) used for validation.")
    test_seasons: SeasonRange = Field((2018, 2019), description="First and last season (inclusive) held out for the test report.")
    season_types: list[Literal["REG", "POST"]] = Field(["REG", "POST"], description="Game types that become examples.")
    halflife_games: float = Field(6.0, gt=0, description="Half-life, in games, of the exponentially weighted team form.")
    prior_games: float = Field(4.0, ge=0, description="Weight, in games, of last season's form in early-season shrinkage.")
    team_embeddings: bool = Field(True, description="Feed home/away team ids to the model (learned team embeddings).")
    elo_features: bool = Field(True, description="Add pregame Elo ratings (from earlier games only) as features.")
    rating_features: bool = Field(True, description="Add time-decayed Massey power ratings (earlier games only) as features.")
    rating_halflife_days: float = Field(150.0, gt=0, description="Days for a result's weight in the power ratings to halve.")
    rating_ridge: float = Field(2.0, ge=0, description="Ridge shrinkage of power ratings toward average.")

    @model_validator(mode="after")
    def _ranges_ordered(self) -> DataConfig:
        for name in ("train_seasons", "val_seasons", "test_seasons"):
            first, last = getattr(self, name)
            if first > last:
                raise ValueError(f"{name} must be [first, last] with first <= last, got [{first}, {last}]")
        ranges = {"train_seasons": self.train_seasons, "val_seasons": self.val_seasons, "test_seasons": self.test_seasons}
        names = list(ranges)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if ranges[a][0] <= ranges[b][1] and ranges[b][0] <= ranges[a][1]:
                    raise ValueError(f"data.{a} {list(ranges[a])} overlaps data.{b} {list(ranges[b])}; splits must not share seasons")
        return self


class ModelConfig(Section):
    name: str = Field("mlp", description="Model family from the model registry (see `scrimmage models`).")
    hidden: list[int] = Field([64, 32], description="Hidden layer widths.")
    dropout: float = Field(0.1, ge=0, lt=1, description="Dropout probability after each hidden layer.")
    activation: Literal["relu", "gelu", "silu", "tanh"] = Field("gelu", description="Hidden activation function.")
    embedding_dim: int = Field(8, ge=0, description="Width of each categorical embedding (0 disables embeddings).")
    batch_norm: bool = Field(False, description="Batch normalisation after each hidden linear layer.")


class LossConfig(Section):
    name: Literal["mse", "huber", "l1"] = Field("mse", description="Per-target regression loss from the loss registry.")
    weights: dict[str, float] = Field(
        {}, description="Per-target loss weights by target name (missing targets weigh 1.0)."
    )
    huber_delta: float = Field(1.0, gt=0, description="Huber transition point (in standardised target units).")


class OptimConfig(Section):
    name: Literal["adamw", "adam", "sgd"] = Field("adamw", description="Optimizer.")
    lr: float = Field(1e-3, gt=0, description="Learning rate.")
    weight_decay: float = Field(1e-4, ge=0, description="Weight decay (decoupled for AdamW).")
    momentum: float = Field(0.9, ge=0, lt=1, description="Momentum (SGD only).")
    betas: tuple[float, float] = Field((0.9, 0.999), description="Adam/AdamW betas.")


class SchedulerConfig(Section):
    name: Literal["constant", "cosine", "warmup_cosine", "step", "plateau"] = Field(
        "constant", description="Learning-rate schedule."
    )
    warmup_epochs: float = Field(1.0, ge=0, description="Linear warmup length in epochs (warmup_cosine).")
    min_lr_ratio: float = Field(0.01, ge=0, le=1, description="Final LR as a fraction of optim.lr (cosine schedules).")
    step_size: int = Field(10, ge=1, description="Epochs between LR drops (step).")
    gamma: float = Field(0.5, gt=0, le=1, description="LR multiplier at each drop (step).")
    factor: float = Field(0.5, gt=0, lt=1, description="LR multiplier when the metric plateaus (plateau).")
    patience: int = Field(3, ge=0, description="Epochs without improvement before an LR drop (plateau).")


class EarlyStoppingConfig(Section):
    enabled: bool = Field(True, description="Stop when the monitored metric stops improving.")
    metric: str = Field("val/loss", description="Metric to monitor (also used for best/top-k checkpoints and plateau LR).")
    mode: Literal["min", "max"] = Field("min", description="Whether lower or higher metric values are better.")
    patience: int = Field(10, ge=0, description="Epochs without improvement before stopping.")
    min_delta: float = Field(0.0, ge=0, description="Smallest change that counts as an improvement.")
    restore_best: bool = Field(True, description="Load the best weights back before testing.")


class CheckpointConfig(Section):
    save_top_k: int = Field(1, ge=0, description="Keep this many best checkpoints by the monitored metric.")
    save_last: bool = Field(True, description="Keep last.ckpt (what --resume continues from).")
    every_n_steps: int = Field(0, ge=0, description="Also write last.ckpt every N optimizer steps mid-epoch (0 = epoch ends only).")


class TrainerConfig(Section):
    epochs: int = Field(60, ge=1, description="Maximum number of epochs.")
    batch_size: int = Field(256, ge=1, description="Examples per micro-batch.")
    eval_batch_size: int = Field(4096, ge=1, description="Examples per batch during evaluation.")
    seed: int = Field(0, description="Seed for python, numpy and torch RNGs and the data order.")
    deterministic: bool = Field(True, description="Use deterministic algorithms (exact resume and reruns).")
    precision: Literal["32-true", "bf16-mixed", "16-mixed", "64-true"] = Field(
        "32-true", description="Numeric precision (Lightning Fabric precision plugin)."
    )
    grad_clip: float | None = Field(1.0, description="Clip gradient norm to this value (null disables).")
    accumulate: int = Field(1, ge=1, description="Micro-batches per optimizer step (gradient accumulation).")
    accelerator: Literal["auto", "cpu", "cuda", "mps"] = Field("cpu", description="Device type for Lightning Fabric.")
    devices: int = Field(1, ge=1, description="Number of devices.")
    threads: int = Field(0, ge=0, description="torch intra-op threads (0 = torch default).")


class TrackingConfig(Section):
    enabled: bool = Field(True, description="Log the run to MLflow.")
    uri: str | None = Field(None, description="MLflow tracking URI (default: sqlite:///<workdir>/mlflow.db).")
    experiment: str = Field("scrimmage", description="MLflow experiment name (first part of the run name).")
    variant: str = Field("base", description="Variant label, part of the run name.")
    experiment_type: str = Field("train", description="Tag saying what kind of experiment this is (train, tune, ablation ...).")
    dataset_version: str = Field("auto", description="Dataset version tag ('auto' = fingerprint of the data manifest).")
    tags: dict[str, str] = Field({}, description="Extra tags for the run.")


class RunConfig(Section):
    """A whole run: what to learn from, what model, how to train, where to track it."""

    data: DataConfig = Field(default_factory=DataConfig, description="What data to learn from and how to split it.")
    model: ModelConfig = Field(default_factory=ModelConfig, description="The model to train.")
    loss: LossConfig = Field(default_factory=LossConfig, description="The training loss.")
    optim: OptimConfig = Field(default_factory=OptimConfig, description="The optimizer.")
    scheduler: SchedulerConfig = Field(default_factory=SchedulerConfig, description="The learning-rate schedule.")
    early_stopping: EarlyStoppingConfig = Field(default_factory=EarlyStoppingConfig, description="Early stopping.")
    checkpoint: CheckpointConfig = Field(default_factory=CheckpointConfig, description="Checkpointing.")
    trainer: TrainerConfig = Field(default_factory=TrainerConfig, description="The training loop.")
    tracking: TrackingConfig = Field(default_factory=TrackingConfig, description="Experiment tracking (MLflow).")
