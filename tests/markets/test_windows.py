"""The market-windows dataset: the contract's bundle, labels, segments, time splits, and the proof that
nothing of a later split reaches an earlier split's scaler or labels."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from pydantic import ValidationError

from scrimmage.config.registry import DATASETS
from scrimmage.data.splits import WindowSplit
from scrimmage.errors import DataError
from scrimmage.markets.dataset import MarketWindowsConfig
from scrimmage.markets.ingest import ingest_markets
from tests.markets.conftest import make_bars, synthetic_folder, write_file

PERIODS = {"train": ("2022-01-01", "2022-03-31"), "val": ("2022-04-01", "2022-05-15"), "test": ("2022-05-16", "2022-06-30")}
SOURCE_COLUMNS = ("symbol", "time", "close", "forward_return", "vol_24h", "y")


def config(**kw) -> MarketWindowsConfig:
    return MarketWindowsConfig(**{**PERIODS, **kw})


@pytest.fixture(scope="module")
def synth(tmp_path_factory) -> dict[str, Path]:
    """Three clean symbols plus one with a 3-hour hole and a 40-hour gap, ingested once."""
    root = tmp_path_factory.mktemp("synth")
    src = synthetic_folder(root / "src")
    gappy = make_bars(24 * 180, seed=9, vol=0.02).drop(index=[*range(1000, 1003), *range(2000, 2040)])
    write_file(src, "GAPUSDT", gappy)
    ingest_markets(root / "wd", src)
    return {"root": root, "src": src, "workdir": root / "wd"}


@pytest.fixture(scope="module")
def bundle(synth):
    return config().build(synth["workdir"])


def _hour(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_registered_with_classes_and_targets():
    schema = DATASETS.schema("market-windows")
    cfg = schema()
    assert cfg.class_names() == ("no", "yes") and cfg.targets() == ("opportunity",)
    assert cfg.train == ("2021-04-01", "2022-12-31") and cfg.test == ("2023-07-01", "2023-12-31")


def test_the_contract(bundle):
    assert set(bundle.splits) == {"train", "val", "test"}
    spec = bundle.spec
    assert spec.n_features == 23 and spec.window == 24 and spec.class_names == ("no", "yes")
    assert spec.categorical == {"asset": (4, 1)} and spec.vocabularies["asset"] == ("AAAUSDT", "BBBUSDT", "CCCUSDT", "GAPUSDT")
    assert bundle.id_columns == ("symbol", "time")
    for name, split in bundle.splits.items():
        assert isinstance(split, WindowSplit) and split.length == 24
        assert split.base["x"].dtype == torch.float32 and split.base["x"].shape[1] == 23
        batch = split.take(torch.arange(5))
        assert batch["x"].shape == (5, 24, 23) and batch["cat"].shape == (5, 1) and batch["y"].dtype == torch.long
        frame = bundle.frames[name]
        assert tuple(frame.columns) == SOURCE_COLUMNS and len(frame) == len(split)
        assert torch.equal(split.column("y"), torch.tensor(frame["y"].to_numpy()))
        codes = torch.from_numpy(frame["symbol"].cat.codes.to_numpy().astype(np.int64))
        assert torch.equal(split.column("cat")[:, 0], codes)
    info = bundle.info
    assert set(info["windows"]) == {"train", "val", "test"} and info["lookback"] == 24 and info["horizon"] == 24
    assert set(info["positive_rate"]["split"]) == {"train", "val", "test"} and "2022" in info["positive_rate"]["year"]
    assert info["dataset_version"].startswith("markets-")


def test_window_ends_at_the_decision_hour(bundle, synth):
    frame, split = bundle.frames["val"], bundle.splits["val"]
    i = len(frame) // 2
    row = frame.iloc[i]
    x = split.take(torch.tensor([i]))["x"][0]
    names = bundle.spec.feature_names
    t = row["time"]
    assert x[-1, names.index("hour_sin")].item() == pytest.approx(np.sin(2 * np.pi * t.hour / 24), abs=1e-5)
    src = pd.read_csv(synth["src"] / f"{row['symbol']}_1h.csv.gz", parse_dates=["date"])
    closes = src.set_index(src["date"].dt.tz_localize("UTC"))["close"]
    assert row["close"] == pytest.approx(closes[t])
    assert x[-1, names.index("ret_1h")].item() == pytest.approx(np.log(closes[t] / closes[t - pd.Timedelta("1h")]), rel=1e-4)
    assert x[0, names.index("ret_1h")].item() == pytest.approx(
        np.log(closes[t - pd.Timedelta("23h")] / closes[t - pd.Timedelta("24h")]), rel=1e-4)
    assert row["forward_return"] == pytest.approx(closes[t + pd.Timedelta("24h")] / closes[t] - 1)


def test_label_is_the_threshold_on_the_forward_return(bundle):
    for frame in bundle.frames.values():
        assert ((frame["forward_return"] > 0.05).astype(int) == frame["y"]).all()
    rates = bundle.info["positive_rate"]["split"]
    assert all(0.01 < r < 0.5 for r in rates.values())


def test_volatility_label(synth):
    b = config(label="volatility", vol_k=1.5, symbols=["AAAUSDT"]).build(synth["workdir"])
    f = b.frames["train"]
    assert ((f["forward_return"] > 1.5 * f["vol_24h"] * np.sqrt(24)).astype(int) == f["y"]).all()
    assert b.info["label"] == "volatility" and b.info["vol_k"] == 1.5


def test_splits_by_time_with_no_label_crossing_a_boundary(bundle):
    for name, (first, last) in PERIODS.items():
        times = bundle.frames[name]["time"]
        assert times.min() >= _hour(first)
        assert times.max() + pd.Timedelta("24h") <= _hour(last) + pd.Timedelta("23h")
    gap = bundle.frames["val"]["time"].min() - bundle.frames["train"]["time"].max()
    assert gap >= pd.Timedelta("24h")


def test_train_scaler_rows_end_before_validation_minus_the_horizon(bundle):
    """The core task fits its scaler on split.feature_stats over the train windows' covered rows: the last of them is
    the last train decision hour, at least `horizon` hours before validation begins."""
    train = bundle.splits["train"]
    covered = train.covered()
    assert bool(covered.any())
    last_decision = bundle.frames["train"]["time"].max()
    assert last_decision <= _hour(PERIODS["val"][0]) - pd.Timedelta("24h")
    # every covered base row is some window's row, and windows end at their decision hour
    ends = train.start + train.length - 1
    assert bool(covered[ends].all()) and int(ends.max()) == int(covered.nonzero().max())


def test_later_splits_never_reach_the_training_split(synth, tmp_path: Path, bundle):
    """Rewrite every bar from validation on (prices x 7, volume x 3): the training windows, labels and the
    scaler's statistics are bit for bit the same."""
    src = tmp_path / "src"
    shutil.copytree(synth["src"], src)
    cut = _hour(PERIODS["val"][0])
    for path in src.iterdir():
        df = pd.read_csv(path)
        later = pd.to_datetime(df["date"]).dt.tz_localize("UTC") >= cut
        df.loc[later, ["open", "high", "low", "close"]] *= 7
        df.loc[later, "volume"] *= 3
        write_file(src, path.name.split("_")[0], df)
    ingest_markets(tmp_path / "wd", src)
    other = config().build(tmp_path / "wd")
    a, b = bundle.splits["train"], other.splits["train"]
    assert torch.equal(a.base["x"], b.base["x"]) and torch.equal(a.start, b.start)
    assert torch.equal(a.column("y"), b.column("y")) and torch.equal(a.column("cat"), b.column("cat"))
    for x, y in zip(a.feature_stats("x"), b.feature_stats("x")):
        assert torch.equal(x, y)
    pd.testing.assert_frame_equal(bundle.frames["train"], other.frames["train"])
    assert not bundle.frames["test"]["close"].equals(other.frames["test"]["close"])


def test_gaps_split_segments_and_filled_hours_are_never_decisions(bundle, synth):
    src = pd.read_csv(synth["src"] / "GAPUSDT_1h.csv.gz", parse_dates=["date"])
    real = set(src["date"].dt.tz_localize("UTC"))
    start = _hour("2022-01-01")
    hole = {start + pd.Timedelta(hours=h) for h in range(1000, 1003)}
    gap = {start + pd.Timedelta(hours=h) for h in range(2000, 2040)}
    times = pd.concat([f.loc[f["symbol"] == "GAPUSDT", "time"] for f in bundle.frames.values()])
    assert set(times) <= real and not set(times) & hole
    for t in times:  # no window (t-23..t) and no label (t..t+24) spans the long gap
        assert not any(t - pd.Timedelta(hours=23) <= g <= t + pd.Timedelta(hours=24) for g in (min(gap), max(gap)))
    assert bundle.info["segments"] == 5


def test_stride_symbols_and_subsample(synth, bundle):
    b = config(stride=4, symbols=["bbbusdt", "AAAUSDT"], max_train_windows=500).build(synth["workdir"])
    assert b.spec.vocabularies["asset"] == ("BBBUSDT", "AAAUSDT")
    assert len(b.splits["train"]) == 500
    assert all((f["time"].dt.hour % 4 == 0).all() for f in b.frames.values())
    assert set(b.frames["val"]["symbol"].unique()) == {"AAAUSDT", "BBBUSDT"}
    assert b.info["dataset_version"] != bundle.info["dataset_version"]


def test_unknown_symbol_names_the_nearest(synth):
    with pytest.raises(DataError, match=r"AAAUSD \(did you mean AAAUSDT\?\)"):
        config(symbols=["AAAUSD"]).build(synth["workdir"])


def test_a_split_without_windows_says_what_to_change(synth):
    with pytest.raises(DataError, match="no test windows"):
        config(test=("2022-06-29", "2022-06-30")).build(synth["workdir"])


def test_without_tables_it_says_to_run_the_ingest(tmp_path: Path):
    with pytest.raises(DataError, match=r"run `scrimmage data markets --source DIR` first"):
        config().build(tmp_path / "empty")


def test_source_option_ingests_first_then_reuses(synth, tmp_path: Path):
    cfg = config(source=synth["src"], symbols=["AAAUSDT"])
    b = cfg.build(tmp_path / "wd")
    manifest = tmp_path / "wd" / "data" / "markets" / "manifest.json"
    stamp = manifest.stat().st_mtime_ns
    assert len(b.splits["train"]) > 0
    cfg.build(tmp_path / "wd")
    assert manifest.stat().st_mtime_ns == stamp


@pytest.mark.parametrize(("kw", "needle"), [
    ({"val": ("2022-03-15", "2022-05-15")}, "must begin after data.train ends"),
    ({"train": ("2022-03-01", "2022-01-01")}, "ends (2022-01-01) before it begins"),
    ({"test": ("2022-13-01", "2022-06-30")}, "needs two dates"),
    ({"source": "/nonexistent/folder"}, "is not a folder"),
    ({"lookback": 0}, "greater than or equal to 1"),
    ({"symbols": []}, "at least 1"),
    ({"features": ["ret_1h", "ret_1h"]}, "twice"),
])
def test_bad_options_are_config_errors(kw, needle):
    with pytest.raises(ValidationError) as info:
        config(**kw)
    assert needle in str(info.value)


def test_trains_one_epoch_through_the_engine(synth, tmp_path: Path):
    """The bundle works with the core binary classification task, its train-only scaler and the windowed mlp."""
    from scrimmage.config import load_config
    from scrimmage.engine import run

    config = load_config(None, [
        "data.name=market-windows", f"data.train=[{PERIODS['train'][0]}, {PERIODS['train'][1]}]",
        f"data.val=[{PERIODS['val'][0]}, {PERIODS['val'][1]}]", f"data.test=[{PERIODS['test'][0]}, {PERIODS['test'][1]}]",
        "data.stride=6", "task.name=classification", "task.mode=binary", "model.name=mlp", "model.hidden=[16]",
        "model.embedding_dim=2", "trainer.epochs=1", "trainer.batch_size=256", "trainer.threads=1",
        "tracking.enabled=false", "monitor.metric=val/log_loss", "callbacks=[]",
    ])
    bundle = config.data.build(synth["workdir"])
    result = run(config, workdir=tmp_path, data=bundle, progress=False)
    assert result.test is not None and 0.0 <= float(result.test["accuracy"]) <= 1.0


def test_yaml_dates_unquoted_or_quoted():
    import yaml

    raw = yaml.safe_load("train: [2021-04-01, 2022-12-31]\nval: ['2023-01-01', '2023-06-30']\ntest: [2023-07-01, 2023-12-31]")
    assert MarketWindowsConfig(**raw).train == ("2021-04-01", "2022-12-31")
    with pytest.raises(ValidationError, match="needs two dates"):
        MarketWindowsConfig(train="2021-04-01")
