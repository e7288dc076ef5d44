"""Domain pictures come from the FIGURES hooks by data name: football's, drawn from what its runs' files hold."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scrimmage.reports.hooks import FIGURES
from scrimmage.reports.run_report import run_figures
from scrimmage.reports.runs import RunData


def _games(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    predicted = rng.normal(2, 6, n)
    margin = np.round(predicted + rng.normal(0, 13.5, n))
    return pd.DataFrame({"margin": margin, "margin_pred": predicted, "pregame_margin_pred": predicted,
                         "pregame_home_win_prob": 1 / (1 + np.exp(-predicted / 8))})


def _run(data: str, predictions: pd.DataFrame, result: dict | None = None) -> RunData:
    history = pd.DataFrame({"epoch": [1, 2], "train/loss": [2.0, 1.5], "val/loss": [2.1, 1.8]})
    return RunData("r", {"data": {"name": data}, "task": {"name": "x"}, "monitor": {"metric": "val/loss"}},
                   result or {}, history, predictions)


def test_football_registers_its_figures_by_data_name():
    for name in ("nfl-pregame", "nfl-games", "cfb-games"):
        assert FIGURES.get(name) is not None, name


def test_nfl_pregame_adds_home_win_calibration_and_margin_errors():
    games = _games()[["margin", "margin_pred"]]
    figures, notes = run_figures(_run("nfl-pregame", games))
    titles = [f.title for f in figures]
    assert titles == ["learning curves", "residuals: margin", "home-win calibration", "margin errors"] and notes == []


def test_hierarchical_draws_what_its_result_holds():
    result = {
        "data": {"play_type_counts": {"train": {"run": 50, "pass": 45, "punt": 5}, "test": {"run": 40, "pass": 50, "punt": 10}}},
        "report": {"extras": {"play_type_confusion": {"classes": ["run", "pass", "punt"],
                                                      "matrix": [[30, 8, 2], [10, 38, 2], [1, 1, 8]]}}},
        "simulation": {"real": {"n_games": 100, "margin_mean": 2.1, "margin_sd": 14.0, "ties": 0.01, "overtime": 0.05},
                       "simulated": {"n_games": 100, "margin_mean": 1.5, "margin_sd": 12.5, "ties": 0.0, "overtime": 0.04}},
    }
    figures, _ = run_figures(_run("nfl-games", _games()[["margin", "pregame_margin_pred", "pregame_home_win_prob"]], result))
    assert [f.title for f in figures] == [
        "learning curves", "home-win calibration", "residuals: pregame margin", "play-type confusion",
        "play-type mix per split", "simulated vs real: game statistics", "simulated vs real: shares of games and drives"]
    bare, _ = run_figures(_run("cfb-games", _games()[["margin"]]))  # nothing to draw beyond the curves: no error
    assert [f.title for f in bare] == ["learning curves"]


def test_a_broken_domain_hook_costs_its_figures_only():
    def broken(run):
        raise KeyError("home_score")

    FIGURES.register("tests-broken-figures", broken)
    figures, notes = run_figures(_run("tests-broken-figures", _games()[["margin", "margin_pred"]]))
    assert [f.title for f in figures] == ["learning curves", "residuals: margin"]
    assert notes == ["the tests-broken-figures figures failed: KeyError: 'home_score'"]
