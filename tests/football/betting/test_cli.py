"""``scrimmage report betting``: rescoring a finished CQL run with another as an ensemble member; clean failures."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.engine import run
from tests.cli_helpers import clean_failure
from tests.football.betting.test_recipe import config


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.slow
def test_report_betting_rescores_a_run_with_an_ensemble(lines_csv, tmp_path):
    first = run(config(lines_csv, "trainer.epochs=2", "reports=[]"), workdir=tmp_path, progress=False)
    second = run(config(lines_csv, "trainer.epochs=2", "reports=[]", "trainer.seed=5"), workdir=tmp_path, progress=False)
    res = invoke("--workdir", str(tmp_path), "report", "betting", first.run_id, "--ensemble", second.run_id,
                 "--bootstrap", "50", "--json")
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert payload["rows"]["cql"]["bets"] == first.test["actions"]  # the scored checkpoint, as the run reported it
    assert payload["extras"]["ensemble"]["members"][1] == second.run_id
    assert {"random", "kelly_pregame", "logistic_cover", "cql_ensemble_agree"} <= set(payload["sections"]["betting"])
    # a member named twice (RUN again under --ensemble) would agree with itself
    clean_failure(invoke("--workdir", str(tmp_path), "report", "betting", first.run_id, "--ensemble", first.run_id),
                  "the same model more than once")


def test_report_betting_bad_input_fails_cleanly(tmp_path):
    clean_failure(invoke("--workdir", str(tmp_path), "report", "betting", "nope"), "no run 'nope'")
    clean_failure(invoke("--workdir", str(tmp_path), "report", "betting", "nope", "--agreement-share", "0"),
                  "--agreement-share")
