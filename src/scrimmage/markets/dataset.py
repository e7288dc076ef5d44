"""``market-windows``: the dataset's options (registered by :mod:`scrimmage.markets.plugin`).

Light: pydantic only. Its ``build(workdir)`` imports the builder (:mod:`.windows`: pandas, torch)
on call. Feature names are checked here against their grammar (:mod:`.feature_names`), so
``config validate`` catches a misspelt feature without data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from scrimmage.config.registry import DATASETS, Component
from scrimmage.config.types import FiniteFloat, NonNegativeInt, PositiveInt
from scrimmage.markets.feature_names import DEFAULT_FEATURES, MAX_WINDOW, parse_feature

if TYPE_CHECKING:
    from scrimmage.data.datamodule import DataBundle

def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


@DATASETS.register
class MarketWindowsConfig(Component):
    """Hourly OHLCV of many assets → windows of causal features → does the price rise by the threshold within the horizon?

    Reads the tables of ``scrimmage data markets`` from ``<workdir>/data/markets``; with
    ``source`` set it runs that ingest first (cached: a no-op when the tables were built from the
    same files). Splits by time; a decision hour belongs to a split when its whole label window
    (``horizon`` hours after it) lies inside that split's dates, so no label crosses a boundary and
    the last training input ends at least ``horizon`` hours before validation begins.
    """

    name: Literal["market-windows"] = "market-windows"
    source: Path | None = Field(
        None, description="Folder of <SYMBOL>.csv(.gz) OHLCV files to ingest first; null reads the tables "
                          "`scrimmage data markets` wrote under <workdir>/data/markets.",
    )
    symbols: list[str] | None = Field(None, min_length=1, description="Symbols to use (e.g. [BTCUSDT, ETHUSDT]); null = all ingested.")
    features: list[str] = Field(list(DEFAULT_FEATURES), min_length=1,
                                description="Per-hour features, in column order (see the README's feature table).")
    lookback: PositiveInt = Field(24, le=MAX_WINDOW, description="Hours per window: decision hour t sees rows t-lookback+1..t.")
    horizon: PositiveInt = Field(24, le=MAX_WINDOW, description="Hours ahead the label looks; longer gaps split a symbol into segments.")
    stride: PositiveInt = Field(1, le=168, description="A decision hour every `stride` hours (UTC hours divisible by it).")
    label: Literal["threshold", "volatility"] = Field(
        "threshold", description="threshold: forward return > threshold; volatility: forward return > vol_k x 24 h "
                                 "volatility x sqrt(horizon).",
    )
    threshold: FiniteFloat = Field(0.05, gt=-1, description="label=threshold: the forward return over the horizon that counts as yes.")
    vol_k: FiniteFloat = Field(1.0, gt=0, description="label=volatility: how many horizon-scaled volatilities the return must exceed.")
    train: tuple[str, str] = Field(("2021-04-01", "2022-12-31"), description="First and last day (UTC, inclusive) of training.")
    val: tuple[str, str] = Field(("2023-01-01", "2023-06-30"), description="First and last day (UTC, inclusive) of validation.")
    test: tuple[str, str] = Field(("2023-07-01", "2023-12-31"), description="First and last day (UTC, inclusive) of the test.")
    max_train_windows: PositiveInt | None = Field(
        None, description="Keep a random subset of this many training windows (quick runs); null keeps all.")
    subsample_seed: NonNegativeInt = Field(0, description="Seed of the max_train_windows subset.")

    @field_validator("source")
    @classmethod
    def _source_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        # Checked at load time, before any long work; a model loaded from its checkpoint skips it.
        if value is not None and (info.context or {}).get("check_files", True) and not value.is_dir():
            raise ValueError(f"{value} is not a folder; pass the folder of per-symbol OHLCV files "
                             "(see `scrimmage data markets --help`)")
        return value

    @field_validator("features")
    @classmethod
    def _known_features(cls, value: list[str]) -> list[str]:
        for name in value:
            parse_feature(name)
        if len(set(value)) != len(value):
            raise ValueError(f"data.features lists a feature twice: {sorted({v for v in value if value.count(v) > 1})}")
        return value

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            value = [s.strip().upper() for s in value]
            if any(not s for s in value) or len(set(value)) != len(value):
                raise ValueError("data.symbols must name each symbol once, none empty")
        return value

    @field_validator("train", "val", "test", mode="before")
    @classmethod
    def _dates(cls, value: object, info: ValidationInfo) -> tuple[str, str]:
        # YAML reads an unquoted 2021-04-01 as a date: accept it as written
        try:
            if isinstance(value, str) or len(value) != 2:  # type: ignore[arg-type]
                raise ValueError
            first, last = (v if type(v) is dt.date else _date(str(v)) for v in value)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise ValueError(f"data.{info.field_name} needs two dates like [2021-04-01, 2022-12-31], got {value!r}") from None
        if last < first:
            raise ValueError(f"data.{info.field_name} ends ({last}) before it begins ({first})")
        return first.isoformat(), last.isoformat()

    @model_validator(mode="after")
    def _ordered(self) -> MarketWindowsConfig:
        for a, b in (("train", "val"), ("val", "test")):
            if _date(getattr(self, b)[0]) <= _date(getattr(self, a)[1]):
                raise ValueError(f"data.{b} must begin after data.{a} ends ({getattr(self, a)[1]}); splits are by time "
                                 "and must not overlap")
        return self

    def periods(self) -> dict[str, tuple[dt.date, dt.date]]:
        return {s: (_date(getattr(self, s)[0]), _date(getattr(self, s)[1])) for s in ("train", "val", "test")}

    def class_names(self) -> tuple[str, ...]:
        return ("no", "yes")

    def targets(self) -> tuple[str, ...]:
        return ("opportunity",)

    def build(self, workdir: Path) -> DataBundle:
        from scrimmage.markets.windows import build_market_windows

        return build_market_windows(self, workdir)


__all__ = ["DEFAULT_FEATURES", "MarketWindowsConfig", "parse_feature"]
