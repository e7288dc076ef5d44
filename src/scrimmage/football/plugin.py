"""The football domain's registration with the core (the ``scrimmage.plugins`` entry point).

Everything registered here is light to import: schemas and ``"module:function"`` references that
load pandas, torch and the feature code only when a command needs them.
"""

from __future__ import annotations


def register() -> None:
    # each registers its schemas on import (light modules: pydantic only; build() imports the rest)
    import scrimmage.football.betting.configs
    import scrimmage.football.datasets.cfb_games
    import scrimmage.football.datasets.nfl_games
    import scrimmage.football.datasets.nfl_playcall
    import scrimmage.football.datasets.nfl_pregame
    import scrimmage.football.hierarchical.configs
    import scrimmage.football.reports.betting_configs
    import scrimmage.football.reports.configs  # noqa: F401
    from scrimmage.config.registry import COMMANDS, PREDICTORS

    PREDICTORS.register("nfl-games", "scrimmage.football.predictors.games:predict_games",
                        "--season/--week of the data: pregame projection (game head before the first snap) and "
                        "--sims simulated games from the play head")
    PREDICTORS.register("nfl-pregame", "scrimmage.football.predictors.pregame:predict_games",
                        "--season/--week of the data, or --games FILE.csv (date, home, away) of future fixtures")
    COMMANDS.register("data nfl", "scrimmage.football.cli.nfl:nfl", "Ingest NFL play-by-play into validated Parquet tables.")
    COMMANDS.register("simulate", "scrimmage.football.cli.simulate:simulate", "Monte Carlo games: a matchup's score distribution, or real against simulated (--games test).")
    COMMANDS.register("report betting", "scrimmage.football.cli.betting:betting_command",
                      "A CQL betting run's test record beside random, Kelly, logistic and agreeing-ensemble bets.")
    COMMANDS.register("data cfb", "scrimmage.football.cli.cfb:cfb", "Ingest college play-by-play (CollegeFootballData.com CSVs) into the same validated tables.")
    from scrimmage.reports.hooks import FIGURES  # pictures for `scrimmage report run`

    FIGURES.register("nfl-pregame", "scrimmage.football.reports.figures:pregame_figures", "home-win calibration, margin errors")
    for games in ("nfl-games", "cfb-games"):
        FIGURES.register(games, "scrimmage.football.reports.figures:hierarchical_figures", "pregame calibration, play types, simulated vs real")
