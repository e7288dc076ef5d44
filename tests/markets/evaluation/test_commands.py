"""A tiny market run end to end on real symbols: its report beside the baselines, then `report backtest`;
and the backtest's misuses (each a message, exit 2, no page written)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app

ROOT = Path(__file__).resolve().parents[3]
RECIPE = ROOT / "recipes" / "market-mlp.yaml"
TINY = ["-o", "trainer.epochs=1", "-o", "data.symbols=[BTCUSDT, ETHUSDT, LUNAUSDT]", "-o", "data.max_train_windows=4000",
        "-o", "model.hidden=[32]", "-o", "tracking.enabled=false", "-o", "reports.0.bootstrap=20",
        "-o", "reports.0.max_train_windows=3000", "-o", "reports.0.lightgbm_rounds=20"]
runner = CliRunner()


def invoke(wd: Path, *args: str):
    result = runner.invoke(app, ["--workdir", str(wd), *args])
    return result, result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.fixture(scope="module")
def market_run(real_few, tmp_path_factory) -> tuple[Path, dict]:
    wd = tmp_path_factory.mktemp("market-run") / "wd"
    shutil.copytree(real_few["workdir"], wd)
    result, out = invoke(wd, "train", str(RECIPE), *TINY, "--json")
    assert result.exit_code == 0, out
    return wd, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_the_report_sets_the_model_beside_three_baselines_with_day_intervals(market_run):
    _, result = market_run
    rows = result["report"]["rows"]
    assert set(rows) == {"model", "volatility", "logistic", "lightgbm"}
    for row in rows.values():
        assert row["pr_auc_low"] <= row["pr_auc"] <= row["pr_auc_high"]
        assert 0 <= row["threshold"] and 0 <= row["f1"] <= 1
    assert result["report"]["rank_by"] == "pr_auc"
    differences = result["report"]["extras"]["market"]["pr_auc_difference"]
    assert set(differences) == {"volatility", "logistic", "lightgbm"}
    assert any("base rate" in note for note in result["report"]["notes"])


@pytest.mark.slow
def test_backtest_trades_the_test_period_and_writes_a_page(market_run, tmp_path):
    wd, run = market_run
    page = tmp_path / "backtest.html"
    result, out = invoke(wd, "report", "backtest", run["run_id"], "--html", str(page), "--json")
    assert result.exit_code == 0, out
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    names = list(payload["strategies"])
    assert names == ["model", "buy & hold basket", "buy & hold BTC", "every 24 h", "volatility rule"]
    assert payload["threshold"] == pytest.approx(run["test"]["threshold"])
    assert payload["strategies"]["buy & hold basket"]["trades"] == 3
    assert "basket" in payload["verdict"] or "no trades" in payload["verdict"]
    text = page.read_text()
    assert "data:image/png;base64," in text and "equity curves" in text


@pytest.mark.slow
@pytest.mark.parametrize(("args", "message"), [
    (["--fee", "-0.01"], "--fee must be a fraction per side from 0 to 0.1"),
    (["--fee", "nan"], "--fee must be a fraction per side"),
    (["--html", "{tmp}/missing/page.html"], "does not exist"),
    (["--html", "{tmp}/page.txt"], "name a .html file"),
], ids=["negative-fee", "nan-fee", "missing-folder", "not-html"])
def test_backtest_misuse(market_run, tmp_path, args, message):
    wd, run = market_run
    result, out = invoke(wd, "report", "backtest", run["run_id"], *[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, out
    assert message in out and "Traceback" not in out
    assert not any(tmp_path.iterdir())


def test_backtest_of_an_unknown_run_is_refused(tmp_path):
    result, out = invoke(tmp_path / "wd", "report", "backtest", "no-such-run")
    assert result.exit_code == 2, out
    assert "no run 'no-such-run'" in out and "Traceback" not in out


def test_backtest_of_a_run_of_another_dataset_is_refused(tmp_path):
    from scrimmage.engine import run
    from tests.engine.synthetic import synthetic_config

    done = run(synthetic_config("trainer.epochs=1"), workdir=tmp_path / "wd", progress=False)
    result, out = invoke(tmp_path / "wd", "report", "backtest", done.run_id)
    assert result.exit_code == 2, out
    assert "a backtest needs a market-windows run" in out
