"""The engine and the empirical sampler on the real data: reproducibility, batch independence,
fidelity within bands, team strength, the cache."""

from __future__ import annotations

import pytest
import torch

from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.engine import simulate, simulate_from_state
from scrimmage.football.simulate.rules import NCAARules, NFLRules
from scrimmage.football.simulate.sampler import PlaySampler
from scrimmage.football.simulate.state import KICKOFF, GameState


def test_the_empirical_sampler_is_a_play_sampler(empirical):
    sampler, _, _ = empirical
    assert isinstance(sampler, PlaySampler)
    summary = sampler.describe()
    assert 0.8 < summary["field_goals"]["make_rate"] < 0.9
    assert 0.02 < summary["snap_outcomes"]["interception_rate_per_pass"] < 0.04
    assert summary["team_strength"]["beta_margin"] > 0 and summary["team_strength"]["home_points"] > 0


def test_same_seed_same_games_other_seed_other_games(empirical):
    sampler, _, _ = empirical
    a = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=300, seed=7)
    b = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=300, seed=7)
    c = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=300, seed=8)
    for name in ("home_score", "away_score", "stats", "drive_outcomes", "overtime"):
        assert torch.equal(getattr(a, name), getattr(b, name)), name
    assert not torch.equal(a.home_score, c.home_score)
    assert bool(a.finished.all()) and a.steps < 400


def test_a_games_result_does_not_depend_on_the_other_games(empirical):
    """Every step draws the same uniforms per game slot, so game b's randomness is its own."""
    sampler, _, _ = empirical
    context = {"offense_shift": torch.tensor([[0.3, -0.2], [0.0, 0.0]])}
    other = {"offense_shift": torch.tensor([[0.3, -0.2], [-0.8, 0.9]])}
    a = simulate(sampler, NFLRules(), ["KC", "NE"], ["BUF", "MIA"], n=200, seed=3, context=context)
    b = simulate(sampler, NFLRules(), ["KC", "SEA"], ["BUF", "DAL"], n=200, seed=3, context=other)
    first = a.matchup == 0
    assert torch.equal(a.home_score[first], b.home_score[first])
    assert torch.equal(a.stats[first], b.stats[first])
    assert not torch.equal(a.home_score[~first], b.home_score[~first])


def test_simulate_from_a_given_state(empirical):
    sampler, _, _ = empirical
    teams = torch.tensor([[sampler.team_index("KC"), sampler.team_index("BUF")]]).repeat(500, 1)
    st = GameState.from_situation(teams, quarter=4, clock=30, offense=0, down=1, distance=10, yardline=80,
                                  home_score=17, away_score=20)
    result = simulate_from_state(sampler, NFLRules(), st, torch.Generator().manual_seed(0))
    assert bool(result.finished.all())
    margin, overtime = result.margin, result.overtime
    regulation = margin[~overtime]
    assert (regulation >= -3).float().mean() > 0.97, "30 seconds left: in regulation home barely loses by more than 3"
    assert (margin >= -6).float().mean() > 0.97, "nor by more than an overtime touchdown"
    assert 0.2 < overtime.float().mean() < 0.9, "a field goal to tie is common"
    assert (regulation > 0).float().mean() > 0.05, "and a touchdown to win happens"


def test_team_strength_and_home_field(empirical):
    sampler, _, _ = empirical
    strong = {"offense_shift": sampler.offense_shift(torch.tensor([[0.8, -0.8]]))}
    generic = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=2000, seed=1,
                       context={"offense_shift": sampler.offense_shift(torch.zeros(1, 2))})
    lopsided = simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=2000, seed=1, context=strong)
    assert 0.5 < generic.margin.double().mean() < 5.0, "home field alone: a small home edge"
    assert lopsided.margin.double().mean() > generic.margin.double().mean() + 6
    # the season's form: the 2019 Patriots' defence against the 2019 Dolphins
    context = sampler.matchup_context(["NE"], ["MIA"], season=2019, week=2)
    assert context["offense_shift"][0, 0] > context["offense_shift"][0, 1]


def test_ncaa_rules_never_tie(empirical):
    sampler, _, _ = empirical
    result = simulate(sampler, NCAARules(), ["KC"], ["BUF"], n=1000, seed=2)
    assert bool(result.finished.all()) and int((result.margin == 0).sum()) == 0
    assert result.overtime.any()


def test_bad_arguments(empirical):
    sampler, _, _ = empirical
    with pytest.raises(ArgumentError, match="valid codes"):
        simulate(sampler, NFLRules(), ["XYZ"], ["BUF"], n=10)
    with pytest.raises(ArgumentError, match="at least 1"):
        simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=0)
    if not torch.cuda.is_available():
        with pytest.raises(ArgumentError, match="CUDA"):
            simulate(sampler, NFLRules(), ["KC"], ["BUF"], n=10, device="cuda")


def test_fidelity_on_the_test_seasons(empirical):
    from scrimmage.football.simulate.fidelity import evaluate_games, select_games

    sampler, tables, _ = empirical
    games = select_games(tables["games"], (2018, 2019))
    report = evaluate_games(sampler, games, tables["drives"], n=20, seed=0)
    rows = {k: v["simulated"] for k, v in report.rows.items()}
    real = {k: v["real"] for k, v in report.rows.items()}
    assert abs(real["margin_sd"] - 14.59) < 0.01 and abs(real["total_mean"] - 46.19) < 0.01
    assert 12 < rows["margin_sd"] < 17
    assert 40 < rows["total_mean"] < 50
    assert 11 < rows["total_sd"] < 17
    assert rows["exactly_3"] > 0.08 and rows["exactly_7"] > 0.05
    assert rows["ties"] < 0.02 and 0.02 < rows["overtime"] < 0.09
    assert 0.17 < rows["drive_touchdown"] < 0.25 and 0.33 < rows["drive_punt"] < 0.45
    assert 0.10 < rows["drive_field_goal"] < 0.17 and 0.09 < rows["drive_turnover"] < 0.16
    assert report.rmse["simulated_mean_margin"] < report.rmse["constant_home_edge"]
    assert report.unfinished == 0


def test_the_fit_is_cached_by_the_data_manifest(empirical, monkeypatch):
    from scrimmage.football.simulate.empirical import cache as module

    sampler, _, workdir = empirical
    path = module.cache_path(workdir)
    assert path.is_file()
    again, cached = module.load_or_fit(workdir)
    assert cached and again.teams == sampler.teams
    assert module.cache_path(workdir, module.EmpiricalConfig(fit_seasons=(2010, 2016))) != path
    good = path.read_bytes()
    fits = []
    monkeypatch.setattr(module, "fit_empirical", lambda *a, **k: fits.append(1) or sampler)
    path.write_bytes(b"not a torch file")
    try:
        _, cached = module.load_or_fit(workdir)
        assert not cached and fits == [1], "a damaged cache is refitted, never trusted"
    finally:
        path.write_bytes(good)


def test_missing_tables_say_to_ingest(tmp_path):
    from scrimmage.errors import DataError
    from scrimmage.football.simulate.empirical.cache import load_or_fit

    with pytest.raises(DataError, match="scrimmage data nfl"):
        load_or_fit(tmp_path)


def test_kickoff_state():
    teams = torch.tensor([[3, 4], [5, 6]])
    st = GameState.kickoff(teams, torch.tensor([0, 1]))
    assert st.phase.tolist() == [KICKOFF, KICKOFF] and st.opening_receiver.tolist() == [1, 0]
    assert st.clock.tolist() == [900, 900] and st.score.tolist() == [[0, 0], [0, 0]]


def test_an_imposed_call_leaves_every_other_draw_as_it_was(empirical):
    """``sample(call=...)`` skips the call distribution but draws the same uniforms: imposing the very calls
    the sampler draws gives the same outcome, and an imposed call changes only what follows from it."""
    sampler, _, _ = empirical
    teams = torch.tensor([[0, 1]] * 64)
    state = GameState.from_situation(teams, quarter=torch.randint(1, 5, (64,), generator=torch.Generator().manual_seed(1)),
                                     clock=torch.arange(64) * 14 + 10, offense=torch.arange(64) % 2,
                                     down=torch.arange(64) % 4 + 1, distance=torch.arange(64) % 12 + 1,
                                     yardline=torch.arange(64) % 98 + 1)
    free = sampler.sample(state, torch.Generator().manual_seed(7))
    imposed = sampler.sample(state, torch.Generator().manual_seed(7), call=free.call.clone())
    for name in ("call", "yards", "gained", "turnover", "return_td", "first_down", "replay_down", "success",
                 "new_yardline", "seconds"):
        assert torch.equal(getattr(free, name), getattr(imposed, name)), name
    runs = sampler.sample(state, torch.Generator().manual_seed(7), call=torch.zeros(64, dtype=torch.long))
    assert bool((runs.call == 0).all())
    assert torch.equal(runs.new_yardline[free.call == 0], free.new_yardline[free.call == 0])
