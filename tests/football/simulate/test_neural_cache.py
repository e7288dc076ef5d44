"""The neural sampler's caches in the workdir: keyed by the data manifest (and the model's weights for the
strength calibration), read back when the key matches, rebuilt when it does not or the file is damaged."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch

from scrimmage.football.simulate import neural_cache
from scrimmage.football.simulate.neural_cache import cache_dir, cached_pregame_frame, cached_strength, weights_digest

CFG = SimpleNamespace(pregame_features=True, season_types=["REG", "POST"], halflife_games=10.0, prior_games=4.0,
                      lines=None)


def _workdir(tmp_path: Path, manifest: str = '{"tables": 1}') -> Path:
    (tmp_path / "data" / "nfl").mkdir(parents=True, exist_ok=True)
    (tmp_path / "data" / "nfl" / "manifest.json").write_text(manifest)
    return tmp_path


def _fake_builder(calls: list[int]):
    def build(cfg, workdir):
        calls.append(1)
        return pd.DataFrame({"game_id": ["g1", "g2"], "season": [2018, 2018], "season_type": ["REG", "POST"],
                             "week": [1, 18], "home_team": ["KC", "NE"], "away_team": ["BUF", "KC"],
                             "home_form": [0.25, -1.5]}).set_index("game_id")
    return build


def test_the_pregame_frame_is_built_once_per_manifest_and_options(tmp_path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(neural_cache, "pregame_frame", _fake_builder(calls))
    wd = _workdir(tmp_path)
    first, key, hit = cached_pregame_frame(CFG, wd)
    again, key2, hit2 = cached_pregame_frame(CFG, wd)
    assert (hit, hit2, key2, len(calls)) == (False, True, key, 1)
    pd.testing.assert_frame_equal(first, again)
    cached_pregame_frame(SimpleNamespace(**{**vars(CFG), "halflife_games": 6.0}), wd)  # other options: a miss
    assert len(calls) == 2
    _workdir(tmp_path, '{"tables": 2}')  # new tables: a new manifest, a miss
    _, key3, hit3 = cached_pregame_frame(CFG, wd)
    assert not hit3 and key3 != key and len(calls) == 3


def test_a_damaged_pregame_file_is_rebuilt(tmp_path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(neural_cache, "pregame_frame", _fake_builder(calls))
    wd = _workdir(tmp_path)
    frame, key, _ = cached_pregame_frame(CFG, wd)
    path = cache_dir(wd) / f"pregame-{key}.parquet"
    for damage in (b"", b"PAR1 truncated", frame.iloc[:0].to_parquet()):
        path.write_bytes(damage)
        again, _, hit = cached_pregame_frame(CFG, wd)
        assert not hit
        pd.testing.assert_frame_equal(again, frame)
    assert len(calls) == 4 and cached_pregame_frame(CFG, wd)[2]


def test_without_tables_nothing_is_cached(tmp_path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(neural_cache, "pregame_frame", _fake_builder(calls))
    _, key, hit = cached_pregame_frame(CFG, tmp_path)
    assert key is None and not hit and not cache_dir(tmp_path).exists()


def test_the_strength_is_computed_once_per_key_and_a_damaged_file_recomputed(tmp_path):
    calls: list[int] = []

    def compute() -> float:
        calls.append(1)
        return 0.125

    parts = {"weights": "abc", "pregame": "def", "kicking": "empirical-1.pt", "target": 150.0}
    assert cached_strength(tmp_path, parts, compute) == (0.125, False)
    assert cached_strength(tmp_path, parts, compute) == (0.125, True)
    assert cached_strength(tmp_path, {**parts, "weights": "abd"}, compute) == (0.125, False)  # another model
    (path,) = [p for p in cache_dir(tmp_path).glob("strength-*.json") if json.loads(p.read_text())["parts"] == parts]
    for damage in ("{", json.dumps({"key": "other", "latent_sd": 9.0}), json.dumps({"latent_sd": float("nan")})):
        path.write_text(damage)
        assert cached_strength(tmp_path, parts, compute) == (0.125, False)
    assert len(calls) == 5


def test_the_weights_digest_sees_every_parameter_and_buffer():
    net = torch.nn.Linear(3, 2)
    net.register_buffer("calibrated", torch.zeros(()))
    before = weights_digest(net)
    assert weights_digest(net) == before
    with torch.no_grad():
        net.weight[0, 0] += 1e-6
    moved = weights_digest(net)
    net.calibrated.fill_(1.0)
    assert len({before, moved, weights_digest(net)}) == 3
