"""The play head as the simulator's sampler: the features it rebuilds from a simulated state are the
training features, its draws are seeded and calibrated, and a trained run simulates end to end
(in training's final report and through ``scrimmage simulate RUN``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.config import load_config
from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.engine import simulate
from scrimmage.football.simulate.neural import NeuralPlaySampler, load_neural_sampler, snap_features
from scrimmage.football.simulate.state import GameState
from tests.football.conftest import HIERARCHICAL_RECIPE, TINY_HIERARCHICAL, TINY_SEASONS

SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))


@pytest.fixture(scope="module")
def trained(tiny_hierarchical):
    """The session's tiny trained run (tests/football/conftest.py): (result, workdir, None)."""
    return tiny_hierarchical, tiny_hierarchical.workdir, None


@pytest.fixture(scope="module")
def bundle(tiny_hierarchical):
    """The run's data, rebuilt from its workdir's tables by its own config."""
    return load_config(HIERARCHICAL_RECIPE, [*TINY_SEASONS, *TINY_HIERARCHICAL]).data.build(tiny_hierarchical.workdir)


def test_features_from_a_state_are_the_training_features(bundle):
    """Rebuild each real snap's state from its inputs: the sampler's features must equal the dataset's."""
    split = bundle.splits["test"]
    names = list(bundle.spec.feature_names)
    x, mask = split.tensors["x"][:20], split.tensors["mask"][:20]
    rows = x[mask]
    f = {name: rows[:, i] for i, name in enumerate(names)}
    quarter = sum(q * f[f"qtr_{q}"] for q in (1, 2, 3, 4)) + 5 * f["overtime"]
    clock = torch.where((quarter == 1) | (quarter == 3), f["half_seconds_left"] - 900, f["half_seconds_left"])
    offense = torch.where(f["offense_home"] > 0, 0, 1)
    down = sum(d * f[f"down_{d}"] for d in (1, 2, 3, 4))
    state = GameState.from_situation(
        torch.zeros(len(rows), 2, dtype=torch.long), quarter=quarter.long(), clock=clock.long(), offense=offense,
        down=down.long(), distance=f["distance"].long(), yardline=(100 - f["yards_to_goal"]).long(),
        home_score=f["home_score_before"].long(), away_score=f["away_score_before"].long())
    counters = {k: f[k] for k in ("drive_number", "play_in_drive", "play_number")}
    built = snap_features(state, counters)
    for name, values in built.items():
        torch.testing.assert_close(values.float(), f[name].float(), rtol=1e-5, atol=1e-3, msg=name)


def test_the_fast_feature_path_gives_the_training_inputs_on_real_snaps(sampler, bundle):
    """The simulator's one feature builder (the play block built every snap, the pregame block scaled
    once per batch; also what the opening projection reads) gives real snaps' states exactly the
    standardised inputs the model was trained on."""
    s, _ = sampler
    split, frame = bundle.splits["test"], bundle.frames["test"].reset_index(drop=True)
    names = list(bundle.spec.feature_names)
    assert names == s.features
    x, mask = split.tensors["x"][:20].float(), split.tensors["mask"][:20]
    rows = x[mask]
    game = torch.arange(len(mask)).unsqueeze(1).expand_as(mask)[mask]
    f = {name: rows[:, i] for i, name in enumerate(names)}
    quarter = sum(q * f[f"qtr_{q}"] for q in (1, 2, 3, 4)) + 5 * f["overtime"]
    clock = torch.where((quarter == 1) | (quarter == 3), f["half_seconds_left"] - 900, f["half_seconds_left"])
    season = torch.tensor(frame["season"].to_numpy()[game.numpy()])
    first, last = s.train_seasons
    context = {"pregame": rows[:, [names.index(c) for c in s.pregame_columns]], "season": season,
               "season_id": season.clamp(first, last) - first,
               "postseason": torch.tensor((frame["season_type"].to_numpy()[game.numpy()] == "POST").astype("float32"))}
    down = sum(d * f[f"down_{d}"] for d in (1, 2, 3, 4))
    state = GameState.from_situation(
        torch.zeros(len(rows), 2, dtype=torch.long), quarter=quarter.long(), clock=clock.long(),
        offense=torch.where(f["offense_home"] > 0, 0, 1), down=down.long(), distance=f["distance"].long(),
        yardline=(100 - f["yards_to_goal"]).long(), home_score=f["home_score_before"].long(),
        away_score=f["away_score_before"].long(), context=context)
    s._pregame_scaled, s._counters = None, {k: f[k] for k in ("drive_number", "play_in_drive", "play_number")}
    try:
        torch.testing.assert_close(s._scaled_inputs(state), s.scaler.scale_inputs(rows), rtol=1e-5, atol=1e-4)
    finally:
        s._pregame_scaled, s._counters = None, {}


def test_the_opening_projection_is_the_game_head_at_the_first_snap(sampler):
    """Through the fast feature path, the pregame projection is the model's own output at kickoff state."""
    s, _ = sampler
    games = s.games[s.games["season"] == 2018].head(4)
    home, away = games["home_team"].tolist(), games["away_team"].tolist()
    ctx = s.matchup_context(home, away, game_ids=games.index.tolist())
    out = s.opening_projection(home, away, ctx)
    torch.testing.assert_close(out["margin"], out["home_points"] - out["away_points"])
    assert bool(((out["home_win_prob"] > 0) & (out["home_win_prob"] < 1)).all())
    assert s.opening_projection(home, away, ctx)["margin"].tolist() == out["margin"].tolist()


def test_loading_reads_the_cached_features_and_strength_and_rebuilds_damaged_files(trained, tmp_path, monkeypatch):
    from scrimmage.football.simulate import neural_cache

    result, workdir, _ = trained
    wd = tmp_path / "wd"
    shutil.copytree(workdir, wd)  # the shared run is only read: this test damages its copy
    cache = wd / "cache" / "neural"
    frames, strengths = sorted(cache.glob("pregame-*.parquet")), sorted(cache.glob("strength-*.json"))
    assert len(frames) == 1 and len(strengths) == 1  # warmed by the fixture's first load
    reference = load_neural_sampler(result.run_id, wd)

    def never(*args, **kwargs):
        raise AssertionError("recomputed although the cache holds it")

    with monkeypatch.context() as m:
        m.setattr(neural_cache, "pregame_frame", never)
        m.setattr(NeuralPlaySampler, "calibrate_strength", never)
        cached = load_neural_sampler(result.run_id, wd)
    assert cached.latent_sd == reference.latent_sd and cached.games.equals(reference.games)

    # a damaged calibration is rerun, never trusted, and its file rewritten (the rerun stubbed: the real one is two
    # short simulations); a damaged pregame file is rebuilt the same way (tests/football/simulate/test_neural_cache.py)
    strengths[0].write_text("{")
    reruns: list[float] = []

    def rerun(self, target: float) -> float:
        reruns.append(target)
        self.latent_sd = 0.375
        return self.latent_sd

    with monkeypatch.context() as m:
        m.setattr(neural_cache, "pregame_frame", never)
        m.setattr(NeuralPlaySampler, "calibrate_strength", rerun)
        rebuilt = load_neural_sampler(result.run_id, wd)
    assert len(reruns) == 1 and rebuilt.latent_sd == 0.375 and rebuilt.games.equals(reference.games)
    assert json.loads(strengths[0].read_text())["latent_sd"] == 0.375
    assert load_neural_sampler(result.run_id, wd).latent_sd == 0.375  # read back from the rewritten file


def test_training_report_simulates_the_test_games(trained):
    result, _, _ = trained
    out = json.loads(json.dumps(result.to_dict(), default=str))
    assert out["test"]["simulated"]["margin_rmse"] > 0
    sim = out["simulation"]
    assert sim["sims_per_game"] == 2 and sim["games"] == out["test"]["n_games"]
    for key in ("margin_sd", "total_mean", "exactly_3_share", "games_per_second"):
        assert sim[key] > 0, key
    assert sim["unfinished"] == 0
    assert any(note.startswith("simulated:") for note in out["report"]["notes"])


@pytest.fixture(scope="module")
def sampler(trained):
    result, workdir, _ = trained
    return load_neural_sampler(result.run_id, workdir), workdir


def _games(sampler, seed: int, n: int = 40):
    games = sampler.games[sampler.games["season"] == 2018].head(3)
    home, away = games["home_team"].tolist(), games["away_team"].tolist()
    ctx = sampler.matchup_context(home, away, game_ids=games.index.tolist())
    return simulate(sampler, None, home, away, n=n, context=ctx, seed=seed)


def test_seeded_simulations_reproduce(sampler):
    s, _ = sampler
    a, b, c = _games(s, 3), _games(s, 3), _games(s, 4)
    assert torch.equal(a.home_score, b.home_score) and torch.equal(a.away_score, b.away_score)
    assert not torch.equal(a.margin, c.margin)
    assert bool(a.finished.all()) and bool((a.home_score >= 0).all())


def test_the_encoder_moves_only_on_snaps(sampler):
    s, _ = sampler
    games = s.games[s.games["season"] == 2018].head(1)
    ctx = s.matchup_context(games["home_team"].tolist(), games["away_team"].tolist(), game_ids=games.index.tolist())
    teams = torch.tensor([[s.teams.index(games["home_team"].iloc[0]), s.teams.index(games["away_team"].iloc[0])]])
    state = GameState.kickoff(teams, torch.tensor([0]), ctx)
    gen = torch.Generator().manual_seed(0)
    s.prepare(state, gen)
    before = [h[0].clone() for h in s._hidden]
    s.sample(state, gen)  # a kickoff: no snap, no step
    assert all(torch.equal(a, h[0]) for a, h in zip(before, s._hidden, strict=True))
    snap = GameState.from_situation(teams, quarter=1, clock=800, offense=0, context=ctx)
    s.sample(snap, gen)
    assert not torch.equal(before[0], s._hidden[0][0])


def test_calibration_undoes_label_smoothing_exactly():
    p = torch.tensor([[0.5, 0.3, 0.1, 0.05, 0.05, 0.0]])
    e, k = 0.1, 6
    q = (1 - e) * p + e / k  # what a smoothed head converges to
    fake = SimpleNamespace(type_smoothing=e)  # a model without fitted offsets
    got = NeuralPlaySampler._calibrated_calls(fake, q.log(), torch.tensor([30.0]))
    torch.testing.assert_close(got, p, atol=1e-6, rtol=0)
    far = NeuralPlaySampler._calibrated_calls(fake, q.log(), torch.tensor([70.0]))  # a 87-yard kick is never called
    assert far[0, 3] == 0 and abs(float(far.sum()) - 1) < 1e-6


def test_a_transformer_model_cannot_simulate(bundle):
    from scrimmage.football.hierarchical.configs import HierarchicalModelConfig
    from scrimmage.football.hierarchical.model import HierarchicalModel

    net = HierarchicalModelConfig(encoder="transformer", d_model=16, heads=2, ff_width=16).build(bundle.spec, 6)
    with pytest.raises(ArgumentError, match="transformer"):
        NeuralPlaySampler(HierarchicalModel(net, bundle.spec.n_features), bundle.spec, None, None,
                          type_smoothing=0.0, train_seasons=(2016, 2016))


def test_simulate_command_runs_a_trained_model(trained):
    result, workdir, _ = trained
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", result.run_id, "--games", "2018", "--n", "2",
                                   "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["model"] == result.run_id and out["fidelity"]["games"] > 200


def test_a_matchup_the_data_never_had_is_refused_for_the_neural_sampler(trained):
    result, workdir, _ = trained
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", result.run_id, "--home", "KC", "--away", "KC2",
                                   "--season", "2018"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", result.run_id, "--home", "MIA", "--away", "SEA",
                                   "--season", "2018", "--week", "3"])
    assert res.exit_code == 2 and "conditions on a real game" in res.output and "Traceback" not in res.output


def test_predict_gives_the_pregame_projection_and_the_simulated_distribution(trained):
    result, workdir, _ = trained
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", result.run_id, "--season", "2018", "--week", "3",
                                   "--sims", "50", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout.strip().splitlines()[-1])["predictions"]
    assert len(rows) >= 13  # a regular-season week
    for row in rows:
        assert row["margin"] == pytest.approx(row["home_points"] - row["away_points"], abs=1e-4)
        assert 0 <= row["home_win_prob"] <= 1 and 0 <= row["sim_home_win"] <= 1 and row["sim_margin_sd"] > 0
        assert {"home_score", "away_score"} <= set(row)  # played games come with their result
    # no terminal here: the simulation's progress is a line on stderr, stdout keeps its one JSON line
    assert f"simulated {len(rows) * 50:,} of {len(rows) * 50:,} games (100%) in " in res.stderr
    assert len(res.stdout.strip().splitlines()) == 1


def test_a_plain_predict_prints_no_library_warnings(trained):
    """As a user runs it: a process of its own (torch warns about a non-writable NumPy array once per process,
    so an in-process check after another test would pass whatever the code does), Python's default warning
    filters, the table on stdout and only progress on stderr."""
    result, workdir, _ = trained
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    done = subprocess.run([SCRIMMAGE, "--workdir", str(workdir), "predict", result.run_id, "--season", "2018", "--week",
                           "3", "--sims", "4"], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "predictions from" in done.stdout
    assert "Warning" not in done.stderr and "warn" not in done.stderr.lower(), done.stderr[-3000:]
    assert all(line.startswith("simulated ") for line in done.stderr.splitlines()), done.stderr[-3000:]


@pytest.mark.parametrize(("args", "message"), [
    (["--season", "2018", "--sims", "-1"], "--sims"),
    (["--season", "2018", "--sims", "many"], "--sims"),
    (["--season", "2018", "--sims", "nan"], "--sims"),
    (["--season", "2018", "--sims", "100001"], "--sims: input should be less than or equal to 100000"),
    (["--season", "2018", "--sims", "100000"], "games would take about"),  # refused before the sampler is built
    (["--season", "2018", "--sims", "5000", "--max-minutes", "1"], "over the limit of --max-minutes 1"),
    (["--season", "2018", "--max-minutes", "nan"], "--max-minutes"),
    (["--season", "2018", "--max-minutes", "-2"], "--max-minutes: input should be greater than or equal to 0"),
    (["--season", "2018", "--seed", "123456789012345678901"], "--seed: input should be less than or equal to 4294967295"),
    (["--season", "2018", "--progress", "yes"], "unknown option --progress"),
    (["--games", "fixtures.csv"], "not supported for the hierarchical model"),
    (["--season", "1999"], "season 1999 is not in the data"),
    (["--season", "2018", "--weeks", "3"], "Did you mean --week"),
])
def test_predict_misuse_exits_2(trained, args, message):
    result, workdir, _ = trained
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "predict", result.run_id, *args])
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output


def test_after_play_reads_the_real_snaps_so_far_as_history(sampler):
    s, workdir = sampler
    game_id = s.games[s.games["season"] == 2018].index[0]
    assert s.prime_with_game(game_id, 60, workdir) > 30  # most plays are snaps
    games = s.games.loc[[game_id]]
    ctx = s.matchup_context(games["home_team"].tolist(), games["away_team"].tolist(), game_ids=[game_id])
    teams = torch.tensor([[s.teams.index(games["home_team"].iloc[0]), s.teams.index(games["away_team"].iloc[0])]])
    state = GameState.from_situation(teams, quarter=2, clock=300, offense=0, context=ctx)
    s.prepare(state, torch.Generator())
    primed = s._hidden[0][0].clone()
    s.clear_history()
    s.prepare(state, torch.Generator())
    assert primed.abs().sum() > 0 and s._hidden[0][0].abs().sum() == 0
    assert s.prime_with_game(game_id, 0, workdir) == 0 and s._history is None


def test_simulate_after_play_with_a_trained_model(trained, bundle):
    result, workdir, _ = trained
    game_id = str(bundle.frames["test"]["game_id"].iloc[0])
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", result.run_id, "--game", game_id,
                                   "--after-play", "80", "--n", "200"])
    assert res.exit_code == 0, res.output
    assert "real snaps so far" in res.output and "real final" in res.output


def test_every_checkpoint_carries_the_calibration_fitted_at_validation(sampler):
    s, _ = sampler
    assert float(s.scaler.calibrated) == 1.0
    assert s.scaler.call_bias.abs().sum() > 0 and s.scaler.yard_bias.shape == (6, s.scaler.yard_values.shape[0])


def test_the_hand_written_first_layer_matches_the_lstm(sampler):
    s, _ = sampler
    games = s.games[s.games["season"] == 2018].head(2)
    ctx = s.matchup_context(games["home_team"].tolist(), games["away_team"].tolist(), game_ids=games.index.tolist())
    teams = torch.tensor([[s.teams.index(h), s.teams.index(a)] for h, a in zip(games["home_team"], games["away_team"])])
    state = GameState.from_situation(teams, quarter=2, clock=400, offense=torch.tensor([0, 1]), down=3, distance=4,
                                     yardline=60, context=ctx)
    gen = torch.Generator()
    s.prepare(state, gen)
    fast = s._step(state, torch.tensor([0, 1]))
    s.prepare(state, gen)  # back to the zero state
    slow = s.net.encoder({"x": s._scaled_inputs(state).unsqueeze(1), "cat": s._categories(state).unsqueeze(1)})[:, 0]
    torch.testing.assert_close(fast, slow, atol=1e-5, rtol=1e-4)


def test_strength_of_the_day_is_calibrated_to_a_target_margin_variance(sampler):
    s, _ = sampler
    kept = s.latent_sd
    try:
        assert s.calibrate_strength(0.0, games=4, n=20) == 0.0  # already more spread than the target: no tilt
        wide = s.calibrate_strength(1e4, games=4, n=20)  # a tiny model's probe may add no spread: then no tilt
        assert wide >= 0.0 and wide == s.latent_sd and wide == wide
    finally:
        s.latent_sd = kept


def test_a_college_run_does_not_simulate(tmp_path):
    """A run trained on cfb-games given as the simulator's model: a clear ArgumentError, before anything is loaded."""
    cfg = SimpleNamespace(task=SimpleNamespace(name="nfl-hierarchical"), data=SimpleNamespace(name="cfb-games"))
    loaded = SimpleNamespace(config=cfg, path=tmp_path / "cfb.ckpt")
    with pytest.raises(ArgumentError, match="is a college run \\(data cfb-games\\); college runs do not simulate"):
        NeuralPlaySampler.from_checkpoint(loaded, tmp_path)
    assert list(tmp_path.iterdir()) == []
