"""The football reports a recipe can name (``reports: [{name: ...}]``): light schemas whose ``build()`` imports
the report function, a :class:`~scrimmage.engine.reports.ReportFn` ``(ctx, report) -> report``, on call."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from scrimmage.config.registry import REPORTS, Component
from scrimmage.config.types import NonNegativeInt, PositiveInt


@REPORTS.register
class PregameBaselinesReport(Component):
    """RMSE of home/away points and margin beside home-field, Elo and closing-line baselines; ATS record"""

    name: Literal["nfl-pregame-baselines"] = "nfl-pregame-baselines"

    def build(self) -> Any:
        from scrimmage.football.reports.pregame import pregame_report

        return pregame_report


@REPORTS.register
class PlaycallBaselinesReport(Component):
    """Play-call accuracy, log loss, macro-F1, ECE beside majority-class and situation-frequency baselines"""

    name: Literal["nfl-playcall-baselines"] = "nfl-playcall-baselines"

    def build(self) -> Any:
        from scrimmage.football.reports.playcall import playcall_report

        return playcall_report


@REPORTS.register
class HierarchicalBaselinesReport(Component):
    """Hierarchical model: pregame RMSE/Brier (game head at play 0) beside home-field, Elo and closing-line baselines"""

    name: Literal["hierarchical-baselines"] = "hierarchical-baselines"

    def build(self) -> Any:
        from scrimmage.football.reports.hierarchical import hierarchical_report

        return hierarchical_report


@REPORTS.register
class SimulateTestGamesReport(Component):
    """Simulate every test game from kickoff with the trained play head: simulated margins and fidelity statistics"""

    name: Literal["simulate-test-games"] = "simulate-test-games"
    n: PositiveInt = Field(100, description="Simulations of every test game.")
    seed: NonNegativeInt = Field(0, description="Seed of the simulations.")

    def check_config(self, config: Any) -> None:
        if config.task.name != "nfl-hierarchical":
            raise ValueError(f"report simulate-test-games needs task nfl-hierarchical (its play head is the "
                             f"simulator's model), not {config.task.name}; remove it from reports")
        if config.data.name != "nfl-games":
            raise ValueError(f"report simulate-test-games needs data nfl-games: the simulator's kicking game and clock "
                             f"are fitted from NFL tables only, so {config.data.name} runs do not simulate; remove it "
                             "from reports")

    def build(self) -> Any:
        from scrimmage.football.reports.simulated_games import simulated_games_report

        return lambda ctx, report: simulated_games_report(ctx, report, n=self.n, seed=self.seed)
