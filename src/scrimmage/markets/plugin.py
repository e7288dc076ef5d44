"""The markets domain's registration with the core (the ``scrimmage.plugins`` entry point).

Everything registered here is light to import: the dataset schema (pydantic only) and a
``"module:function"`` reference to the ingest command, which loads pandas and pyarrow only when run.
"""

from __future__ import annotations


def register() -> None:
    import scrimmage.markets.dataset  # registers market-windows
    import scrimmage.markets.evaluation.configs  # noqa: F401  (registers the market-baselines report)
    from scrimmage.config.registry import COMMANDS

    COMMANDS.register("data markets", "scrimmage.markets.cli:markets",
                      "Ingest a folder of hourly OHLCV files (CSV or CSV.GZ, one per symbol) into validated Parquet tables.")
    COMMANDS.register("report backtest", "scrimmage.markets.evaluation.cli:backtest_command",
                      "Trade a market classifier's test-period signals beside buy-and-hold and simple rules.")
