"""The simulator's Python API: each mode returns a dataclass whose ``to_dict()`` is the CLI's ``--json``
object, and bad arguments fail before any sampler is loaded."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.errors import ArgumentError
from scrimmage.football.simulate import api


def _cli_json(workdir, *args):
    res = CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout.strip().splitlines()[-1])


def _same(a: dict, b: dict) -> None:
    """Equal but for the wall-clock fields."""
    timing = {"seconds", "games_per_second"}
    assert {k: v for k, v in a.items() if k not in timing} == {k: v for k, v in b.items() if k not in timing}


def test_matchup_is_the_cli_json(empirical):
    _, _, workdir = empirical
    sim = api.load("empirical", workdir)
    r = api.matchup("KC", "BUF", 2019, 10, sampler=sim, workdir=workdir, n=500, spread=-3.5, seed=3)
    assert isinstance(r, api.MatchupResult) and r.result.margin.shape == (500,)
    assert r.summary["n_games"] == 500 and "spread" in r.summary and r.form == "entering week 10"
    _same(json.loads(json.dumps(r.to_dict())), _cli_json(workdir, "--home", "KC", "--away", "BUF", "--season", "2019",
                                                         "--week", "10", "--n", "500", "--spread", "-3.5", "--seed", "3"))


def test_from_state_after_play_season_and_fidelity(empirical):
    _, tables, workdir = empirical
    sim = api.load("empirical", workdir)
    state = api.from_state("KC", "BUF", 2019, "Q4 2:00, home ball at own 25, down 3", sampler=sim, workdir=workdir, n=200)
    assert isinstance(state, api.SituationResult) and state.real is None and state.situation["quarter"] == 4
    game_id = str(tables["games"].query("season == 2019 and season_type == 'REG'")["game_id"].iloc[0])
    live = api.after_play(game_id, 80, sampler=sim, workdir=workdir, n=200)
    assert live.real is not None and 0 <= live.real_percentile() <= 100 and live.info["game_id"] == game_id
    _same(json.loads(json.dumps(live.to_dict())),
          _cli_json(workdir, "--game", game_id, "--after-play", "80", "--n", "200"))
    season = api.season(2019, 15, sampler=sim, workdir=workdir, n=20)
    assert isinstance(season, api.SeasonResult) and len(season.teams) == 32 and season.games_simulated > 0
    fid = api.fidelity("2019", sampler=sim, workdir=workdir, n=2)
    assert isinstance(fid, api.FidelityResult) and fid.to_dict()["fidelity"]["games"] == fid.n_games > 200


@pytest.mark.parametrize(("call", "message"), [
    (lambda w: api.matchup("KC", "BUF", 2031, workdir=w), "--season 2031 is not in the data"),
    (lambda w: api.matchup("KC", "BUF", 2019, 20, workdir=w), "--week must be a regular-season week"),
    (lambda w: api.matchup("KC", "BUF", 2019, workdir=w, n=0), "--n must be at least 1"),
    (lambda w: api.matchup("KC", "BUF", 2019, workdir=w, rules="cfl"), "--rules must be one of"),
    (lambda w: api.matchup("KC", "BUF", 2019, workdir=w, device="tpu"), "--device must be cpu or cuda"),
    (lambda w: api.season(2031, 9, workdir=w), "--season 2031 is not in the data"),
    (lambda w: api.season(2019, 18, workdir=w), "--from-week must be a regular-season week"),
    (lambda w: api.fidelity("2030", workdir=w), "no REG/POST games in 2030-2030"),
    (lambda w: api.fidelity("soon", workdir=w), "--games must be one of"),
    (lambda w: api.after_play("2019091500", 10_000, workdir=w), "after-play"),
])
def test_bad_arguments_fail_before_any_sampler_is_loaded(empirical, monkeypatch, call, message):
    _, _, workdir = empirical

    def no_loading(*args, **kwargs):
        raise AssertionError("the sampler was loaded before the arguments were checked")

    monkeypatch.setattr(api, "load", no_loading)
    with pytest.raises(ArgumentError, match=message):
        call(workdir)


def test_a_progress_callback_hears_increasing_counts_ending_at_the_total(empirical, monkeypatch):
    _, _, workdir = empirical
    sim = api.load("empirical", workdir)
    monkeypatch.setattr(api, "BATCH", 100)  # batches of 100 games, so 250 games report three times
    heard: list[tuple[int, int]] = []
    r = api.matchup("KC", "BUF", 2019, sampler=sim, workdir=workdir, n=250, progress=lambda d, t: heard.append((d, t)))
    assert r.result.n_games == 250 and r.summary["n_games"] == 250
    counts = [d for d, _ in heard]
    assert counts == sorted(set(counts)) and {t for _, t in heard} == {250}
    assert {0, 100, 200, 250} <= set(counts), "each batch's end is reported"
    assert any(0 < d < 100 for d in counts), "a batch in progress reports its share of game time played"
    heard.clear()
    api.from_state("KC", "BUF", 2019, "Q4 2:00 home ball at own 25", sampler=sim, workdir=workdir, n=150,
                   progress=lambda d, t: heard.append((d, t)))
    counts = [d for d, _ in heard]
    assert counts == sorted(set(counts)) and {0, 100, 150} <= set(counts) and heard[-1] == (150, 150)
    heard.clear()
    api.season(2019, 17, sampler=sim, workdir=workdir, n=3, progress=lambda d, t: heard.append((d, t)))
    counts = [d for d, _ in heard]
    assert counts == sorted(set(counts)) and heard[-1][0] == heard[-1][1] > 0
    heard.clear()
    fid = api.fidelity("2019", sampler=sim, workdir=workdir, n=2, progress=lambda d, t: heard.append((d, t)))
    assert heard[-1] == (fid.n_games * 2, fid.n_games * 2) and [d for d, _ in heard] == sorted({d for d, _ in heard})


def test_an_absurd_request_is_refused_before_the_sampler_loads(empirical, monkeypatch):
    _, _, workdir = empirical
    monkeypatch.setattr(api, "load", lambda *a, **k: pytest.fail("the sampler was loaded"))
    with pytest.raises(ArgumentError, match=r"--games test \(\d+ games\) x --n 1,000,000: .* games would take about"):
        api.fidelity("test", workdir=workdir, n=1_000_000)
    with pytest.raises(ArgumentError, match="--n 1,000,000,000: 1,000,000,000 games would take about 2.3 days"):
        api.matchup("KC", "BUF", 2019, workdir=workdir, n=1_000_000_000)
    with pytest.raises(ArgumentError, match="--spread must be a finite number"):
        api.matchup("KC", "BUF", 2019, workdir=workdir, spread=float("nan"))
