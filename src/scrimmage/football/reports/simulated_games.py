"""The simulated part of the ``nfl-hierarchical`` report: every test game rolled forward with the trained play head.

After training, each test game is simulated ``n`` times (the ``simulate-test-games`` report) from kickoff by the
:class:`~scrimmage.football.simulate.neural.NeuralPlaySampler` of the model just trained (its pregame features read from
the test split itself, so nothing is rebuilt), under its season's NFL rules. The report gains:

* ``test.simulated.*`` (the model row): RMSE of each game's simulated mean margin against the
  real margin (``margin_rmse``), and of the simulated mean home / away points;
* ``simulation.*`` (a top-level section of the result): the fidelity statistics — margin mean
  and SD, total mean and SD, the shares decided by exactly 3 and 7, ties, overtime, drive
  outcomes — real beside simulated, with the simulator's speed (``games_per_second``).

While it runs, progress lines (``simulated 12,000 of 52,300 test games (23%), 40 s left``, every 10 s and at
the end) go to the run's printer (``ctx.print``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from scrimmage.data.datamodule import DataBundle
from scrimmage.engine.reports import ReportContext
from scrimmage.engine.tasks.base import Report
from scrimmage.football.simulate.neural import _PLAY_FEATURES, NeuralPlaySampler

#: All seasons 2009-2019 (REG+POST): the shares a 523-game test set measures noisily.
ALL_SEASONS_REFERENCE = {"exactly_3": 0.144, "exactly_7": 0.094, "ties": 0.0027, "drive_punt": 0.399,
                         "drive_touchdown": 0.201, "drive_field_goal": 0.138}


def test_games_frame(bundle: DataBundle, split: str) -> pd.DataFrame:
    """The split's games by ``game_id`` with their pregame features (the first snap's inputs)."""
    frame = bundle.frames[split].reset_index(drop=True)
    names = list(bundle.spec.feature_names)
    pregame = [i for i, name in enumerate(names) if name not in _PLAY_FEATURES]
    first_snap = bundle.splits[split].column("x")[:, 0, :].float().cpu().numpy()
    values = pd.DataFrame(first_snap[:, pregame], columns=[names[i] for i in pregame])
    keep = frame[["game_id", "season", "season_type", "week", "home_team", "away_team"]]
    return pd.concat([keep, values], axis=1).set_index("game_id")


def simulated_games_report(ctx: ReportContext, report: Report, *, n: int, seed: int) -> Report:
    """The ``simulate-test-games`` report: the table with the model row's ``simulated`` block, the
    ``simulation`` section and a note added."""
    loss = ctx.task.loss
    smoothing = loss.cfg.play.label_smoothing if loss is not None else 0.0
    seasons = ctx.data.frames["train"]["season"]
    from scrimmage.football.simulate.progress import StderrProgress

    progress = StderrProgress(label=f"{ctx.split} games", write=ctx.print)  # a line every 10 s and at the end
    added, section, notes = simulate_report(ctx.model, ctx.data, ctx.split, ctx.workdir, n=n, type_smoothing=smoothing,
                                            train_seasons=(int(seasons.min()), int(seasons.max())), seed=seed,
                                            progress=progress)
    report.rows["model"] = dict(report.rows["model"]) | added
    report.sections["simulation"] = section
    report.notes = [*report.notes, *notes]
    return report


def simulate_report(model: Any, bundle: DataBundle, split: str, workdir: Any, *, n: int, type_smoothing: float,
                    train_seasons: tuple[int, int], seed: int = 0, progress: Callable[[int, int], None] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """(additions to the model row, the ``simulation`` section, notes) for ``split``'s games; ``progress(done,
    total)`` hears the simulated games after each batch."""
    from scrimmage.football.nfl.ingest import load_nfl_table
    from scrimmage.football.simulate.empirical.cache import load_or_fit
    from scrimmage.football.simulate.fidelity import evaluate_games

    kicking, _ = load_or_fit(workdir)
    sampler = NeuralPlaySampler(model, bundle.spec, kicking, test_games_frame(bundle, split),
                                type_smoothing=type_smoothing, train_seasons=train_seasons, source="the trained model")
    sampler.calibrate_from(kicking)
    games = bundle.frames[split].reset_index(drop=True)
    report = evaluate_games(sampler, games, load_nfl_table(workdir, "drives"), n=n, seed=seed,
                            label=f"{split} games", max_batch=50_000, progress=progress)
    rows = report.rows
    simulated = {"margin_rmse": report.rmse["simulated_mean_margin"],
                 "constant_home_edge_rmse": report.rmse["constant_home_edge"]}
    if "closing_line" in report.rmse:
        simulated["margin_rmse_on_lined_games"] = report.rmse["simulated_mean_margin_on_lined_games"]
        simulated["closing_line_margin_rmse"] = report.rmse["closing_line"]
    section = {
        "sims_per_game": n, "games": report.games, "strength_of_the_day_sd": sampler.latent_sd,
        "margin_mean": rows["margin_mean"]["simulated"], "margin_sd": rows["margin_sd"]["simulated"],
        "total_mean": rows["total_mean"]["simulated"], "total_sd": rows["total_sd"]["simulated"],
        "exactly_3_share": rows["exactly_3"]["simulated"], "exactly_7_share": rows["exactly_7"]["simulated"],
        "tie_share": rows["ties"]["simulated"], "overtime_share": rows["overtime"]["simulated"],
        "games_per_second": report.games_per_second, "seconds": report.seconds, "unfinished": report.unfinished,
        "real": {key: value["real"] for key, value in rows.items()},
        "simulated": {key: value["simulated"] for key, value in rows.items()},
        "all_seasons_reference": ALL_SEASONS_REFERENCE,
    }
    notes = [
        f"simulated: {report.games} test games x {n} from kickoff with the play head; mean-margin RMSE "
        f"{simulated['margin_rmse']:.2f}; margin mean/SD real {rows['margin_mean']['real']:+.2f}/{rows['margin_sd']['real']:.2f} "
        f"vs simulated {rows['margin_mean']['simulated']:+.2f}/{rows['margin_sd']['simulated']:.2f}; total "
        f"{rows['total_mean']['real']:.2f}/{rows['total_sd']['real']:.2f} vs {rows['total_mean']['simulated']:.2f}/"
        f"{rows['total_sd']['simulated']:.2f}; exactly 3 {rows['exactly_3']['real']:.1%} vs "
        f"{rows['exactly_3']['simulated']:.1%}, exactly 7 {rows['exactly_7']['real']:.1%} vs "
        f"{rows['exactly_7']['simulated']:.1%}; {report.games_per_second:,.0f} games/s",
    ]
    return {"simulated": simulated, "simulated_margin_rmse": simulated["margin_rmse"]}, section, notes


__all__ = ["ALL_SEASONS_REFERENCE", "simulate_report", "simulated_games_report", "test_games_frame"]
