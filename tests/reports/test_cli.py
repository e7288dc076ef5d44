"""``scrimmage report ...`` on the command line: pages written, misuse refused with exit 2 and no file, domain reports added."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.paths import runs_dir

runner = CliRunner()


def invoke(workdir, *args):
    return runner.invoke(app, ["--workdir", str(workdir), "report", *map(str, args)])


def test_report_run_writes_the_page_and_prints_json(runs, tmp_path):
    out = tmp_path / "page.html"
    result = invoke(runs.workdir, "run", runs.regression, "--html", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["html"] == str(out) and out.is_file() and "learning curves" in summary["figures"]


@pytest.mark.parametrize("case", ["missing run", "unfinished run", "damaged result", "no folder", "a folder",
                                  "repeated runs", "missing study", "no store", "not a study store", "unreachable",
                                  "empty storage"])
def test_misuse_is_refused_clearly_and_writes_nothing(runs, tmp_path, case):
    workdir, out = runs.workdir, tmp_path / "page.html"
    if case in ("unfinished run", "damaged result"):
        workdir = tmp_path / "wd"
        folder = runs_dir(workdir) / "r1"
        shutil.copytree(runs_dir(runs.workdir) / runs.binary, folder)
        if case == "unfinished run":
            (folder / "result.json").unlink()
            meta = json.loads((folder / "run.json").read_text()) | {"status": "interrupted"}
            (folder / "run.json").write_text(json.dumps(meta))
        else:
            (folder / "result.json").write_text("{not json")
    args, expected = {
        "missing run": (["run", "no-such-run", "--html", out], "no run 'no-such-run'"),
        "unfinished run": (["run", "r1", "--html", out], "run r1 is interrupted, not finished"),
        "damaged result": (["run", "r1", "--html", out], "damaged"),
        "no folder": (["run", runs.binary, "--html", tmp_path / "nowhere" / "p.html"], "does not exist"),
        "a folder": (["run", runs.binary, "--html", tmp_path], "is a folder"),
        "repeated runs": (["compare", runs.binary, runs.binary, "--html", out], "repeat"),
        "missing study": (["study", "tinyy", "--html", out, "--storage", runs.study_storage], "Did you mean 'tiny'?"),
        "no store": (["study", "tiny", "--html", out, "--storage", f"sqlite:///{tmp_path / 'none.db'}"], "no study store"),
        "not a study store": (["study", "tiny", "--html", out, "--storage", f"sqlite:///{runs.workdir / 'mlflow.db'}"],
                              "no Optuna studies table"),
        "unreachable": (["study", "tiny", "--html", out, "--storage", "postgresql://nobody@127.0.0.1:1/none"],
                        "cannot open the study storage"),
        "empty storage": (["study", "tiny", "--html", out, "--storage", " "], "--storage is empty"),
    }[case]
    before = (runs.workdir / "mlflow.db").stat().st_mtime_ns
    result = invoke(workdir, *args, "--json")
    assert result.exit_code == 2, result.output
    assert expected in json.loads(result.stdout.strip().splitlines()[-1])["error"]["message"]
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob("**/*.tmp")) and not (tmp_path / "none.db").exists()
    assert (runs.workdir / "mlflow.db").stat().st_mtime_ns == before


def test_missing_html_option_is_a_usage_error(runs):
    result = invoke(runs.workdir, "run", runs.binary)
    assert result.exit_code == 2 and "--html" in result.output


def test_a_domain_report_appears_under_report(runs, tmp_path):
    from scrimmage.cli.report import register_report_commands
    from scrimmage.config.registry import COMMANDS

    def demo(name: str) -> None:
        print(f"demo report for {name}")

    COMMANDS.register("report tests-demo", demo, "A domain's report (tests only).")
    register_report_commands()
    result = invoke(runs.workdir, "tests-demo", "x")
    assert result.exit_code == 0 and "demo report for x" in result.output
    assert "tests-demo" in invoke(runs.workdir, "--help").output
