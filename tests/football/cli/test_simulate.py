"""``scrimmage simulate`` end to end: the matchup and fidelity modes with ``--json``, and every
misuse failing cleanly (exit 2, one message, no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app


def run(workdir: Path, *args: str):
    return CliRunner().invoke(app, ["--workdir", str(workdir), "simulate", *args])


def last_json(result) -> dict:
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_matchup_json(empirical):
    _, _, workdir = empirical
    res = run(workdir, "--home", "KC", "--away", "BUF", "--season", "2019", "--week", "10", "--n", "2000",
              "--spread", "-3.5", "--total", "51", "--json")
    assert res.exit_code == 0, res.output
    d = last_json(res)
    assert {"model", "rules", "home", "away", "season", "week", "n", "seed", "summary", "seconds",
            "games_per_second", "offense_shift", "real_game", "sampler_cached"} <= set(d)
    s = d["summary"]
    assert {"home_points", "away_points", "margin", "total", "home_win", "away_win", "tie", "overtime",
            "spread", "total_line", "team_stats", "drive_outcomes"} <= set(s)
    assert {"mean", "sd", "q05", "q50", "q95"} <= set(s["margin"])
    assert abs(s["home_win"] + s["away_win"] + s["tie"] - 1) < 1e-9
    assert abs(sum(s["spread"][k] for k in ("home_cover", "push", "away_cover")) - 1) < 1e-9
    assert s["n_games"] == 2000 and d["model"] == "empirical" and d["rules"] == "nfl"
    assert set(s["team_stats"]["home"]) >= {"yards", "turnovers", "first_downs"}


def test_same_seed_same_answer_and_aliases(empirical):
    _, _, workdir = empirical
    a = last_json(run(workdir, "--home", "JAC", "--away", "NE", "--season", "2018", "--n", "500", "--seed", "4", "--json"))
    b = last_json(run(workdir, "--home", "JAX", "--away", "NE", "--season", "2018", "--n", "500", "--seed", "4", "--json"))
    assert a["home"] == "JAX" and a["summary"]["margin"] == b["summary"]["margin"]


def test_fidelity_mode_json(empirical):
    _, _, workdir = empirical
    res = run(workdir, "--games", "2019", "--n", "4", "--json")
    assert res.exit_code == 0, res.output
    d = last_json(res)
    f = d["fidelity"]
    assert d["seasons"] == [2019, 2019] and f["games"] == 267 and f["sims_per_game"] == 4
    assert {"margin_sd", "total_mean", "exactly_3", "exactly_7", "ties", "overtime", "drive_punt"} <= set(f["rows"])
    assert set(f["rows"]["margin_sd"]) == {"real", "simulated"}
    assert {"simulated_mean_margin", "constant_home_edge", "closing_line"} <= set(f["rmse"])
    assert "RMSE" in res.output


def test_ncaa_rules_run(empirical):
    _, _, workdir = empirical
    d = last_json(run(workdir, "--home", "KC", "--away", "BUF", "--season", "2019", "--n", "300", "--rules", "ncaa", "--json"))
    assert d["rules"] == "ncaa" and d["summary"]["tie"] == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--home", "XYZ", "--away", "BUF", "--season", "2019"], "valid codes: ARI"),
    (["--home", "KC", "--away", "KC", "--season", "2019"], "the same team"),
    (["--home", "KC", "--away", "BUF", "--season", "2019", "--n", "0"], "--n must be at least 1"),
    (["--home", "KC", "--away", "BUF", "--season", "2031"], "seasons available: 2009-2019"),
    (["--home", "KC", "--away", "BUF", "--season", "2019", "--week", "30"], "--week must be"),
    (["--home", "KC", "--away", "BUF"], "--season is needed"),
    (["--home", "KC"], "say what to simulate"),
    (["--home", "KC", "--away", "BUF", "--season", "2019", "--rules", "cfl"], "--rules must be one of"),
    (["--home", "KC", "--away", "BUF", "--season", "2019", "--device", "tpu"], "--device must be"),
    (["--games", "test", "--home", "KC"], "leave out --home"),
    (["--games", "next-year"], "--games must be one of"),
    (["--games", "2030"], "no REG/POST games"),
    (["some-run-id", "--home", "KC", "--away", "BUF", "--season", "2019"], "no run 'some-run-id'"),
])
def test_misuse_exits_2_without_traceback(empirical, args, message):
    _, _, workdir = empirical
    res = run(workdir, *args, "--json")
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert "error" in last_json(res)


def test_a_damaged_checkpoint_fails_cleanly(empirical, tmp_path):
    _, _, workdir = empirical
    ckpt = tmp_path / "model.ckpt"
    ckpt.write_bytes(b"x")
    res = run(workdir, str(ckpt), "--home", "KC", "--away", "BUF", "--season", "2019")
    assert res.exit_code == 2 and "model.ckpt" in res.output and "Traceback" not in res.output


def test_cuda_unavailable(empirical):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is available here")
    _, _, workdir = empirical
    res = run(workdir, "--home", "KC", "--away", "BUF", "--season", "2019", "--device", "cuda")
    assert res.exit_code == 2 and "no CUDA device" in res.output


def test_missing_data_says_to_ingest(tmp_path):
    res = run(tmp_path / "empty", "--home", "KC", "--away", "BUF", "--season", "2019")
    assert res.exit_code == 2 and "scrimmage data nfl" in res.output and "Traceback" not in res.output


def test_without_a_terminal_progress_lines_go_to_stderr_and_json_stays_one_line(empirical, monkeypatch):
    from scrimmage.football.simulate import api

    _, _, workdir = empirical
    monkeypatch.setattr(api, "BATCH", 100)
    monkeypatch.setenv("SCRIMMAGE_PROGRESS_INTERVAL", "0")  # a line per batch (the default is every 10 s)
    res = run(workdir, "--home", "KC", "--away", "BUF", "--season", "2019", "--n", "300", "--json")
    assert res.exit_code == 0, res.output
    assert "simulated 100 of 300 games (33%)" in res.stderr and "s left" in res.stderr
    assert "simulated 300 of 300 games (100%) in " in res.stderr
    assert len(res.stdout.strip().splitlines()) == 1 and last_json(res)["n"] == 300


def test_an_absurd_request_is_refused_fast_with_the_estimate(empirical):
    import time

    _, _, workdir = empirical
    start = time.perf_counter()
    res = run(workdir, "--games", "all", "--n", "100000")
    assert res.exit_code == 2 and "would take about" in " ".join(res.output.split())
    assert "--max-minutes" in res.output and time.perf_counter() - start < 5
