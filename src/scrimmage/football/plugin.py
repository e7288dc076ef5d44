"""The football domain's registration with the core (the ``scrimmage.plugins`` entry point).

Everything registered here is light to import: schemas and ``"module:function"`` references that
load pandas, torch and the feature code only when a command needs them.
"""

from __future__ import annotations


def register() -> None:
    import scrimmage.football.configs
    import scrimmage.football.report_configs  # noqa: F401  (registers the reports)
    from scrimmage.config.registry import COMMANDS, PREDICTORS

    PREDICTORS.register("nfl-games", "scrimmage.football.hierarchical.predict:predict_games",
                        "--season/--week of the data: pregame projection (game head before the first snap) and "
                        "--sims simulated games from the play head")
    PREDICTORS.register("nfl-pregame", "scrimmage.football.predict:predict_games",
                        "--season/--week of the data, or --games FILE.csv (date, home, away) of future fixtures")
    COMMANDS.register("data nfl", "scrimmage.football.cli:nfl", "Ingest NFL play-by-play into validated Parquet tables.")
    COMMANDS.register("simulate", "scrimmage.football.simulate.cli:simulate", "Monte Carlo games: a matchup's score distribution, or real against simulated (--games test).")
    COMMANDS.register("data cfb", "scrimmage.football.cfb.cli:cfb", "Ingest college play-by-play (CollegeFootballData.com CSVs) into the same validated tables.")
