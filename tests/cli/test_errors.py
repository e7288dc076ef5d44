"""Bad input at the command line: exit code 2, a message saying what and how to fix, no traceback,
and nothing written to the workdir."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "nfl-pregame.yaml"
runner = CliRunner()


def invoke(workdir: Path, *args: str):
    return runner.invoke(app, ["--workdir", str(workdir), *args])


def assert_clean_failure(result, workdir: Path, message: str) -> None:
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == 2, output
    assert message in output, output
    assert "Traceback" not in output
    assert not workdir.exists() or not any(workdir.rglob("*")), f"left files behind: {list(workdir.rglob('*'))}"


def run_folders(workdir: Path) -> set[Path]:
    return set((workdir / "runs").glob("*"))


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path / "wd"


def test_bad_yaml(tmp_path, workdir):
    bad = tmp_path / "bad.yaml"
    bad.write_text("trainer:\n  epochs: [3\n")
    assert_clean_failure(invoke(workdir, "train", str(bad)), workdir, "malformed YAML")


def test_unknown_key(tmp_path, workdir):
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: {name: nfl-pregame}\noptim:\n  learning_rate: 0.1\n")
    result = invoke(workdir, "train", str(recipe))
    assert_clean_failure(result, workdir, "unknown config key 'optim.learning_rate'")


def test_wrong_type(workdir):
    result = invoke(workdir, "train", str(RECIPE), "-o", "trainer.batch_size=big")
    assert_clean_failure(result, workdir, "'trainer.batch_size'")


def test_missing_recipe(workdir):
    assert_clean_failure(invoke(workdir, "train", "nope.yaml"), workdir, "recipe file not found")


def test_bad_override(workdir):
    assert_clean_failure(invoke(workdir, "train", str(RECIPE), "-o", "optim.lr"), workdir, "expected KEY.PATH=VALUE")


def test_missing_lines_file(workdir):
    result = invoke(workdir, "train", str(RECIPE), "-o", "data.lines=absent.csv")
    assert_clean_failure(result, workdir, "absent.csv")


def test_config_validate_and_show(workdir):
    ok = invoke(workdir, "config", "validate", str(RECIPE))
    assert ok.exit_code == 0 and "valid" in ok.output
    shown = invoke(workdir, "config", "show", str(RECIPE), "-o", "optim.lr=0.5", "--json")
    assert shown.exit_code == 0
    import json

    assert json.loads(shown.output.strip().splitlines()[-1])["optim"]["lr"] == 0.5
    bad = invoke(workdir, "config", "validate", str(RECIPE), "-o", "monitor.mode=up")
    assert_clean_failure(bad, workdir, "'monitor.mode'")


def test_real_process_prints_no_traceback(tmp_path):
    """The installed console script, in its own process."""
    script = Path(sys.executable).with_name("scrimmage")
    proc = subprocess.run(
        [str(script), "--workdir", str(tmp_path / "wd"), "train", str(RECIPE), "-o", "trainer.epochz=1"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Did you mean 'trainer.epochs'?" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "wd").exists()


def test_unknown_monitored_metric_fails_before_writing_a_run(full_ingest, tmp_path):
    """Checked up front: no run folder, no MLflow run for a config that cannot work."""
    _, _, nfl_workdir = full_ingest
    before = run_folders(nfl_workdir)
    result = invoke(nfl_workdir, "train", str(RECIPE), "-o", "monitor.metric=val/margn_rmse")
    output = result.output + result.stderr
    assert result.exit_code == 2, output
    assert "Did you mean 'val/margin_rmse'?" in output
    assert run_folders(nfl_workdir) == before


def test_unavailable_accelerator_is_a_config_error(full_ingest):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    _, _, nfl_workdir = full_ingest
    before = run_folders(nfl_workdir)
    result = invoke(nfl_workdir, "train", str(RECIPE), "-o", "trainer.accelerator=cuda")
    output = result.output + result.stderr
    assert result.exit_code == 2, output
    assert "trainer.accelerator='cuda'" in output and "Traceback" not in output
    assert run_folders(nfl_workdir) == before


def test_a_typo_in_train_fails_before_torch_is_imported(tmp_path):
    """Validation comes first: a wrong key costs a fraction of a second, not the import of torch and Lightning."""
    code = (
        "import sys\n"
        "from scrimmage.cli.main import app\n"
        "try:\n"
        f"    app(['--workdir', {str(tmp_path)!r}, 'train', 'recipes/nfl-pregame.yaml', '-o', 'optim.lrr=1'])\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'torch' in sys.modules, 'lightning' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert "Did you mean 'optim.lr'" in proc.stderr + proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "exit 2 False False"


SCRIMMAGE_BIN = str(Path(sys.executable).with_name("scrimmage"))


def test_a_usage_error_still_ends_with_the_json_error_line(tmp_path):
    proc = subprocess.run([SCRIMMAGE_BIN, "--workdir", str(tmp_path), "train", "--bogus", "--json"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "No such option: --bogus" in proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == {
        "error": {"type": "UsageError", "message": "No such option: --bogus"}}


@pytest.mark.slow
@pytest.mark.parametrize(("signame", "code", "line", "kind"), [
    ("SIGTERM", 143, "error: terminated (SIGTERM)", "Terminated"),  # to the process
    ("SIGINT", 130, "error: interrupted", "Interrupted"),  # Ctrl-C: to the whole process group, pool workers too
])
def test_a_signal_during_an_ingest_ends_with_one_line_and_the_json_error(tmp_path, signame, code, line, kind):
    import os
    import signal
    import time

    # as from a terminal: a suite started in the background (`cmd &` in a script) ignores SIGINT, and an ignored
    # signal stays ignored across exec, so the command would never hear the Ctrl-C this test sends
    proc = subprocess.Popen([SCRIMMAGE_BIN, "--workdir", str(tmp_path), "data", "nfl", "--force", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and not children.read_text().split():
        time.sleep(0.1)  # wait for the parsing pool: the handlers are in place, work is under way
    time.sleep(1.0)
    signum = getattr(signal, signame)
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)  # what a terminal's Ctrl-C does
    else:
        proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == line
    assert json.loads(out.strip().splitlines()[-1])["error"]["type"] == kind
    assert not (tmp_path / "data" / "nfl" / "games.parquet").exists(), "nothing half-written"


def test_predict_help_lists_the_registered_predictors_options():
    result = CliRunner().invoke(app, ["predict", "--help"])
    assert result.exit_code == 0
    for option in ("--season", "--week", "--games", "--sims"):
        assert option in result.output, option
