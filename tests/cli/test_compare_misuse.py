"""compare's misuses: each a message, exit 2, nothing written (no data built, no run folder)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
PREGAME, PLAYCALL = str(ROOT / "recipes" / "nfl-pregame.yaml"), str(ROOT / "recipes" / "nfl-playcall.yaml")

CASES = [
    ([PREGAME], "compare needs two or more recipes"),
    ([PREGAME, PLAYCALL], "uses dataset 'nfl-playcall' and nfl-pregame 'nfl-pregame'"),
    ([PREGAME, "missing.yaml"], "missing.yaml"),
    ([PREGAME, PREGAME, "-o", "trainer.epochs=0"], "trainer.epochs"),
]


@pytest.mark.parametrize(("args", "message"), CASES, ids=["one-recipe", "different-data", "missing-recipe", "bad-override"])
def test_compare_misuse(args, message, tmp_path):
    wd = tmp_path / "wd"
    result = CliRunner().invoke(app, ["--workdir", str(wd), "compare", *args])
    out = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, out
    assert message in out, out
    assert "Traceback" not in out
    assert not wd.exists() or not any(wd.rglob("*"))
