"""The training engine: ``run(config) -> RunResult`` on a compact Fabric loop with callbacks."""

from scrimmage.engine.run import RunResult, run

__all__ = ["RunResult", "run"]
