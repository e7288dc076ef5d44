"""The play head as the simulator's sampler: the features it rebuilds from a simulated state are the
training features, its draws are seeded and calibrated, and a trained run simulates end to end
(in training's final report and through ``scrimmage simulate RUN``)."""

from __future__ import annotations

import json
import shutil
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

RECIPE = "recipes/nfl-hierarchical.yaml"
SEASONS = ["data.train_seasons=[2016,2016]", "data.val_seasons=[2017,2017]", "data.test_seasons=[2018,2018]"]
TINY = ['callbacks=[{"name": "phases", "phases": [{"name": "all", "steps": 4}]}]', "trainer.epochs=1",
        "tracking.enabled=false", "model.hidden=[16,8]", "model.play_head=[16]", "reports.1.n=2"]


@pytest.fixture(scope="module")
def trained(full_ingest, tmp_path_factory):
    """A tiny trained run in its own workdir (the session's tables copied in): (result, workdir, bundle)."""
    from scrimmage.engine import run

    _, _, source = full_ingest
    workdir = tmp_path_factory.mktemp("sampler")
    shutil.copytree(source / "data", workdir / "data")
    config = load_config(RECIPE, [*SEASONS, *TINY])
    result = run(config, workdir=workdir, progress=False)
    return result, workdir, config.data.build(workdir)


def test_features_from_a_state_are_the_training_features(trained):
    """Rebuild each real snap's state from its inputs: the sampler's features must equal the dataset's."""
    _, _, bundle = trained
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
    # the fast path (pregame block scaled once) gives the model exactly its standardised inputs
    torch.testing.assert_close(s._scaled_inputs(snap), s.scaler.scale_inputs(s._features(snap)))
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


def test_a_transformer_model_cannot_simulate(trained):
    from scrimmage.football.hierarchical.configs import HierarchicalModelConfig
    from scrimmage.football.hierarchical.model import HierarchicalModel

    _, _, bundle = trained
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


@pytest.mark.parametrize(("args", "message"), [
    (["--season", "2018", "--sims", "-1"], "--sims"),
    (["--season", "2018", "--sims", "many"], "--sims"),
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


def test_simulate_after_play_with_a_trained_model(trained):
    result, workdir, bundle = trained
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
