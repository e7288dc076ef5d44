"""The bad-input corpus: what a user gets wrong, and what they get back.

Every case runs the real command line and asserts the exit code, one message that names the
problem (no traceback), and the workdir afterwards: nothing written for input errors. Cases that
need the ingested NFL tables share one session workdir (``full_ingest``) and check that no run
folder appeared. Signals, concurrency and a full disk use real processes in tests beside this one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from scrimmage.cli.main import app

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "nfl-pregame.yaml"
runner = CliRunner()


@dataclass
class Case:
    """One misuse: ``args`` may hold ``{tmp}`` (a scratch folder) and ``{wd}`` (the workdir)."""

    id: str
    args: list[str]
    message: str
    code: int = 2
    setup: Callable[[Path], None] | None = None
    extra: list[str] = field(default_factory=list)


def write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def make(tmp: Path) -> None:
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)

    return make


def train(*overrides: str) -> list[str]:
    args = ["train", str(RECIPE)]
    for item in overrides:
        args += ["-o", item]
    return args


def validate(*overrides: str) -> list[str]:
    return ["config", "validate", str(RECIPE), *(part for o in overrides for part in ("-o", o))]


DATA = "data: {name: nfl-pregame}\n"
MATCHUP = ["--home", "KC", "--away", "BUF", "--season", "2019"]


def cfb(*args: str) -> list[str]:
    """``data cfb`` on a copy of two sample games (made in the scratch folder by :func:`mini_cfb`)."""
    return ["data", "cfb", "--source", "{tmp}/cfb/pbp", "--games", "{tmp}/cfb/win_loss.csv", "--lines",
            "{tmp}/cfb/betting_lines.csv", *args]


def mini_cfb(tmp: Path) -> None:
    from tests.football.cfb.conftest import make_mini

    make_mini(tmp / "cfb")


def sim(*args: str) -> list[str]:
    """A ``simulate`` matchup with ``args`` added."""
    return ["simulate", *MATCHUP, *args]

# --- inputs rejected before anything is read or written (no data needed) -------------------------------
EARLY = [
    Case("recipe-missing", ["train", "{tmp}/absent.yaml"], "recipe file not found"),
    Case("recipe-is-folder", ["train", "{tmp}"], "recipe path is a directory"),
    Case("recipe-not-utf8", ["train", "{tmp}/bin.yaml"], "is not UTF-8 text", setup=write("bin.yaml", b"\xff\xfe\x00\x81data")),
    Case("recipe-empty", ["train", "{tmp}/empty.yaml"], "is empty", setup=write("empty.yaml", "# nothing\n")),
    Case("recipe-is-a-list", ["train", "{tmp}/list.yaml"], "must hold a mapping", setup=write("list.yaml", "- 1\n- 2\n")),
    Case("recipe-malformed-yaml", ["train", "{tmp}/bad.yaml"], "malformed YAML", setup=write("bad.yaml", DATA + "trainer: {epochs: [3}\n")),
    Case("recipe-duplicate-key", ["train", "{tmp}/dup.yaml"], "duplicate key 'epochs' at line 4",
         setup=write("dup.yaml", DATA + "trainer:\n  epochs: 3\n  epochs: 4\n")),
    Case("recipe-without-data", ["train", "{tmp}/nodata.yaml"], "no data section", setup=write("nodata.yaml", "trainer: {epochs: 3}\n")),
    Case("recipe-path-with-brackets", ["train", "{tmp}/[v2] recipe.yaml"], "[v2] recipe.yaml"),
    Case("unknown-section", train("trianer.epochs=3"), "Did you mean 'trainer'?"),
    Case("unknown-key-in-model", train("model.hiden=[8]"), "Did you mean 'model.hidden'?"),
    Case("unknown-key-in-loss", train("loss.delta=1"), "unknown config key 'loss.delta'"),
    Case("unknown-model", train("model.name=lstm_typo"), "unknown model 'lstm_typo' (model.name)"),
    Case("unknown-dataset", train("data.name=nfl-pregam"), "Did you mean 'nfl-pregame'?"),
    Case("unknown-loss", train("loss.name=focall"), "Did you mean 'focal'?"),
    Case("unknown-optimizer", train("optim.name=rmsprop"), "unknown optimizer 'rmsprop'"),
    Case("unknown-scheduler", train("scheduler.name=cosin"), "Did you mean 'cosine'?"),
    Case("unknown-task", train("task.name=regresion"), "Did you mean 'regression'?"),
    Case("loss-of-another-task", train("loss={name: cross_entropy}"), "is a classification loss"),
    Case("other-schedulers-option", train("scheduler.step_size=2"), "unknown config key 'scheduler.step_size'"),
    Case("epochs-not-a-number", train("trainer.epochs=ten"), "'trainer.epochs'"),
    Case("epochs-boolean", train("trainer.epochs=true"), "got True (bool)"),
    Case("epochs-zero", train("trainer.epochs=0"), "greater than or equal to 1"),
    Case("batch-size-negative", train("trainer.batch_size=-4"), "'trainer.batch_size'"),
    Case("accumulate-float", train("trainer.accumulate=1.5"), "'trainer.accumulate'"),
    Case("hidden-empty", train("model.hidden=[]"), "at least 1 item"),
    Case("hidden-zero-width", train("model.hidden=[64, 0]"), "'model.hidden.1'"),
    Case("dropout-above-one", train("model.dropout=1.5"), "'model.dropout'"),
    Case("betas-out-of-range", train("optim.betas=[0.9, 1.0]"), "'optim.betas.1'"),
    Case("lr-infinite", train("optim.lr=.inf"), "'optim.lr'"),
    Case("lr-negative", train("optim.lr=-0.1"), "'optim.lr'"),
    Case("lr-string", train("optim.lr=fast"), "'optim.lr'"),
    Case("grad-clip-negative", train("trainer.grad_clip=-1"), "'trainer.grad_clip'"),
    Case("precision-unknown", train("trainer.precision=8-bit"), "'trainer.precision'"),
    Case("seasons-overlap", train("data.train_seasons=[2009, 2017]"), "overlaps data.val_seasons"),
    Case("seasons-reversed", train("data.test_seasons=[2019, 2018]"), "first <= last"),
    Case("season-types-empty", train("data.season_types=[]"), "'data.season_types'"),
    Case("monitor-metric-unknown", train("monitor.metric=val/margn_rmse"), "Did you mean 'val/margin_rmse'?"),
    Case("monitor-mode-unknown", train("monitor.mode=up"), "'monitor.mode'"),
    Case("callbacks-not-a-list", train("callbacks={name: early_stopping}"), "callbacks must be a list"),
    Case("callback-unknown", train("callbacks=[{name: early_stoping}]"), "Did you mean 'early_stopping'?"),
    Case("callback-twice", train("callbacks=[{name: early_stopping}, {name: early_stopping}]"), "more than once"),
    Case("callback-option-negative", train("callbacks.0.patience=-1"), "'callbacks.0.patience'"),
    Case("callback-index-out-of-range", train("callbacks.3.patience=1"), "indexes a list of 1 items"),
    Case("reports-not-a-list", train("reports={name: x}"), "reports must be a list of mappings"),
    Case("report-unknown", train("reports=[{name: nfl-pregame-baseline}]"), "Did you mean 'nfl-pregame-baselines'?"),
    Case("report-option-unknown", train("reports.0.n=3"), "unknown config key 'reports.0.n'"),
    Case("report-for-another-task", train("reports=[{name: simulate-test-games}]"),
         "simulate-test-games needs task nfl-hierarchical"),
    Case("loop-unknown", train("loop={name: epochs}"), "unknown loop 'epochs' (loop.name)"),
    Case("ema-decay-out-of-range", train("callbacks=[{name: ema, decay: 1.5}]"), "'callbacks.0.decay'"),
    Case("swa-starts-after-the-last-epoch", train("callbacks=[{name: swa, start_epoch: 500}]"),
         "start_epoch is 500 but trainer.epochs is 80"),
    Case("lines-file-missing", train("data.lines={tmp}/absent.csv"), "betting-lines file"),
    Case("tracking-experiment-empty", train("tracking.experiment="), "'tracking.experiment'"),
    Case("override-without-equals", train("optim.lr"), "expected KEY.PATH=VALUE"),
    Case("override-empty-key", train("=3"), "the key must be a dotted path"),
    Case("override-bad-yaml", train("optim.lr=[1,"), "not valid YAML"),
    Case("override-into-a-value", train("trainer.epochs.x=1"), "is a value, not a section"),
    Case("validate-reports-the-same", validate("trainer.grad_clip=0"), "'trainer.grad_clip'"),
    Case("train-without-recipe", ["train"], "pass a recipe"),
    Case("resume-unknown-run", ["train", "--resume", "nope"], "no run 'nope'"),
    Case("resume-missing-ckpt", ["train", "--resume", "{tmp}/gone.ckpt"], "checkpoint not found"),
    Case("resume-damaged-ckpt", ["train", "--resume", "{tmp}/bad.ckpt"], "cannot read checkpoint",
         setup=write("bad.ckpt", b"PK\x03\x04 truncated")),
    Case("predict-unknown-run", ["predict", "nope", "--season", "2019"], "no run 'nope'"),
    Case("predict-damaged-ckpt", ["predict", "{tmp}/bad.ckpt", "--season", "2019"], "cannot read checkpoint",
         setup=write("bad.ckpt", b"\x00" * 64)),
    Case("predict-option-before-the-run", ["predict", "--season", "2019", "nope"], "the run id or .ckpt file comes "
         "first, then the selection options, e.g. `scrimmage predict RUN_ID --season 2019`; got the option --season"),
    Case("predict-option-twice", ["predict", "nope", "--season", "2019", "--week", "10", "--season=2018"],
         "--season is given twice ('2019' and '2018'); give it once"),
    Case("list-unknown-kind", ["list", "modles"], "Did you mean 'models'?"),
    Case("workdir-is-a-file", ["--workdir", "{tmp}/file", "runs"], "is a file, not a folder", setup=write("file", "x")),
    Case("workdir-under-a-file", ["--workdir", "{tmp}/file/sub", "train", str(RECIPE)], "is a file, not a folder",
         setup=write("file", "x")),
    Case("data-lines-missing", ["data", "nfl", "--lines", "{tmp}/absent.csv"], "absent.csv"),
    Case("data-source-missing", ["data", "nfl", "--source", "{tmp}/nowhere"], "nowhere"),
    Case("unknown-cli-option", ["train", str(RECIPE), "--epochs", "3"], "No such option"),
    # simulate: every number checked (finite, in its documented range) before any data or sampler is read
    Case("simulate-spread-nan", sim("--spread", "nan"), "--spread must be a finite number of points from -100 to 100, got nan"),
    Case("simulate-spread-inf", sim("--spread", "inf"), "--spread must be a finite number"),
    Case("simulate-spread-out-of-range", sim("--spread", "-250"), "--spread must be -100 to 100 points, got -250"),
    Case("simulate-total-negative", sim("--total", "-5"), "--total must be above 0 and at most 200 points, got -5"),
    Case("simulate-total-zero", sim("--total", "0"), "--total must be above 0 and at most 200 points, got 0"),
    Case("simulate-total-nan", sim("--total", "nan"), "--total must be a finite number of points above 0 to 200, got nan"),
    Case("simulate-n-zero", sim("--n", "0"), "--n must be at least 1 (range 1-1,000,000,000), got 0"),
    Case("simulate-n-huge", sim("--n", "10000000000"), "--n must be at most 1,000,000,000 (range 1-1,000,000,000), got "
         "10,000,000,000"),
    Case("simulate-seed-huge", sim("--seed", "123456789012345678901"), "--seed must be at most 4,294,967,295 (range "
         "0-4,294,967,295), got 123,456,789,012,345,678,901"),
    Case("simulate-seed-negative", sim("--seed", "-1"), "--seed must be at least 0"),
    Case("simulate-max-minutes-negative", sim("--max-minutes", "-1"), "--max-minutes must be a finite number of "
         "minutes above 0 (0: no limit), got -1.0"),
    Case("simulate-max-minutes-nan", sim("--max-minutes", "nan"), "--max-minutes must be a finite number"),
    Case("simulate-absurd-n-refused", sim("--n", "1000000000"), "--n 1,000,000,000: 1,000,000,000 games would take "
         "about 2.3 days (at the documented 5,000 games/s of the empirical sampler on cpu), over the limit of "
         "--max-minutes 60; lower the count, or allow it with --max-minutes 3334"),
    Case("simulate-absurd-with-a-small-limit", sim("--n", "2000000", "--max-minutes", "1"), "would take about 7 min"),
    Case("simulate-week-out-of-range", sim("--week", "99999999999999999999"), "--week must be a regular-season week 1-17"),
    Case("simulate-from-week-out-of-range", ["simulate", "--season", "2019", "--from-week", "-3"], "--from-week must be a "
         "regular-season week 1-17, got -3"),
    Case("from-state-json-nan", sim("--from-state", '{"quarter": 4, "clock": NaN, "offense": "home", "yardline": 25}'),
         "--from-state: NaN is not a number a situation can hold; every value must be finite"),
    Case("from-state-json-infinity", sim("--from-state", '{"quarter": 4, "clock": 60, "offense": "home", "yardline": 25, '
                                         '"down": -Infinity}'), "-Infinity is not a number a situation can hold"),
    Case("from-state-json-1e400", sim("--from-state", '{"quarter": 4, "clock": 1e400, "offense": "home", "yardline": 25}'),
         "--from-state: clock 1e400 is not a finite number (seconds (0-900) or \"M:SS\")"),
    Case("from-state-json-21-digit-score", sim("--from-state", '{"quarter": 4, "clock": 60, "offense": "home", '
                                               '"yardline": 25, "home_score": 123456789012345678901}'),
         "--from-state: home_score a 21-digit number is out of range (0-200)"),
    Case("from-state-json-score-too-high", sim("--from-state", '{"quarter": 4, "clock": 60, "offense": "home", '
                                               '"yardline": 25, "away_score": 999}'), "scores must be 0-200"),
    Case("from-state-json-fraction", sim("--from-state", '{"quarter": 4, "clock": 60.5, "offense": "home", "yardline": 25}'),
         "clock 60.5 must be a whole number"),
    Case("from-state-json-array", sim("--from-state", '[4, 120, "home"]'), "--from-state: the JSON form must be an "
         "object {...}, got a JSON array"),
    Case("from-state-json-number", sim("--from-state", "42"), "the JSON form must be an object {...}, got a JSON number"),
    Case("from-state-json-string", sim("--from-state", '"Q4 2:00 home ball at own 25"'), "got a JSON string"),
    Case("from-state-text-21-digit-score", sim("--from-state", "Q4 2:00 home ball at own 25, home 123456789012345678901 "
                                               "away 3"), "points must be 0-200, got a 21-digit number"),
    Case("from-state-text-huge-margin", sim("--from-state", "Q4 2:00 home ball at own 25, down 5000"),
         "points must be 0-200, got 5000"),
    Case("from-state-text-huge-yard-line", sim("--from-state", "Q4 2:00 home ball at own 99999999999"),
         "yard line 'own 99999999999' must be own 1-50 or opp 1-50"),
    Case("plot-folder-missing", sim("--plot", "{tmp}/no/such/margin.png"), "does not exist"),
    Case("plot-suffix-unknown", sim("--plot", "{tmp}/margin.jpg"), "must end in .png, .pdf or .svg (got '.jpg')"),
    Case("plot-is-a-folder", sim("--plot", "{tmp}"), "that is a folder"),
    Case("cfb-book-not-in-the-lines", cfb("--books", "FanDuel,espn bet"), "--books names 'FanDuel', 'espn bet' (did you "
         "mean 'ESPN Bet'?), not in betting_lines.csv; the books it quotes: Bovada, DraftKings, ESPN Bet", setup=mini_cfb),
]


def resolve(args: list[str], tmp: Path, wd: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)).replace("{wd}", str(wd)) for a in args]


def invoke(wd: Path, args: list[str]):
    if args and args[0] == "--workdir":
        return runner.invoke(app, args)
    return runner.invoke(app, ["--workdir", str(wd), *args])


def output_of(result) -> str:
    return result.output + (result.stderr if result.stderr_bytes is not None else "")


@pytest.mark.parametrize("case", EARLY, ids=lambda c: c.id)
def test_early_misuse_exits_2_with_a_message_and_writes_nothing(case: Case, tmp_path: Path):
    scratch, wd = tmp_path / "scratch", tmp_path / "wd"
    scratch.mkdir()
    if case.setup:
        case.setup(scratch)
    before = sorted(p.name for p in scratch.iterdir())
    result = invoke(wd, resolve(case.args, scratch, wd))
    out = output_of(result)
    assert result.exit_code == case.code, out
    assert case.message in out, out
    assert "Traceback" not in out
    assert not wd.exists() or not any(wd.rglob("*")), f"left files behind: {list(wd.rglob('*'))}"
    assert sorted(p.name for p in scratch.iterdir()) == before


def test_corpus_is_large_enough():
    assert len(EARLY) + len(NEEDS_DATA) >= 60


# --- inputs that pass the schema but are rejected once data and model are built: still nothing written ---
NEEDS_DATA = [
    Case("loss-weight-for-unknown-target", train("loss.weights={hme: 1}"), "loss.weights names unknown targets"),
    Case("classification-on-a-regression-dataset", train("task.name=classification", "loss=null",
                                                          "monitor.metric=val/loss"), "class_names"),
    Case("accelerator-missing", train("trainer.accelerator=cuda"), "trainer.accelerator='cuda'"),
    Case("seasons-outside-the-data", train("data.train_seasons=[1990, 1995]"), "selects no games"),
    Case("sgd-nesterov-without-momentum", train("optim={name: sgd, nesterov: true, momentum: 0}"), "nesterov needs"),
    Case("resume-with-a-changed-model", ["train", "--resume", "{run}", "-o", "model.hidden=[8]"], "model.hidden"),
    Case("resume-with-another-optimizer", ["train", "--resume", "{run}", "-o", "optim.name=sgd"],
         "optim cannot change on resume: the run trains with optim 'adamw' and -o optim.name=sgd asks for 'sgd'"),
    Case("resume-with-another-loss", ["train", "--resume", "{run}", "-o", "loss.name=huber"],
         "loss cannot change on resume: the run trains with loss 'mse'"),
    Case("resume-with-a-different-recipe", ["train", str(ROOT / "recipes" / "nfl-playcall.yaml"), "--resume", "{run}"],
         "Drop the recipe (scrimmage train --resume"),
    Case("resume-a-finished-run-unchanged", ["train", "--resume", "{run}"], "is finished; resuming it with the same "
         "config would change nothing"),
    Case("resume-empty", ["train", str(RECIPE), "--resume", ""], "--resume needs a run id"),
    Case("tracking-server-unreachable", ["train", str(RECIPE), "--tracking-uri", "http://127.0.0.1:9"], "127.0.0.1:9"),
    Case("tracking-postgres-unreachable", ["train", str(RECIPE), "--tracking-uri", "postgresql://postgres@127.0.0.1:9/x"],
         "127.0.0.1:9"),
    Case("tracking-sqlite-folder-missing", ["train", str(RECIPE), "--tracking-uri", "sqlite:///{tmp}/no/such/mlflow.db"],
         "does not exist"),
    Case("predict-unknown-option", ["predict", "{run}", "--seson", "2019"], "Did you mean --season?"),
]


@pytest.fixture(scope="module")
def finished_run(full_ingest) -> str:
    """One tiny finished run in the shared workdir, for resume and predict misuse."""
    _, _, wd = full_ingest
    result = runner.invoke(app, ["--workdir", str(wd), *train("trainer.epochs=1", "tracking.enabled=false",
                                                             "tracking.variant=misuse"), "--json"])
    assert result.exit_code == 0, output_of(result)
    return json.loads(result.stdout.strip().splitlines()[-1])["run_id"]


@pytest.mark.parametrize("case", NEEDS_DATA, ids=lambda c: c.id)
def test_misuse_found_after_building_the_data_writes_no_run(case: Case, full_ingest, finished_run, tmp_path):
    if case.id == "accelerator-missing" and torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    _, _, wd = full_ingest
    runs_before = set((wd / "runs").iterdir())
    args = [a.replace("{run}", finished_run) for a in resolve(case.args, tmp_path, wd)]
    result = invoke(wd, args)
    out = output_of(result)
    assert result.exit_code == case.code, out
    assert case.message in out, out
    assert "Traceback" not in out
    assert set((wd / "runs").iterdir()) == runs_before, "no run folder for a run that could not start"


# --- the boundary itself ------------------------------------------------------------------------------
def test_json_mode_prints_the_error_as_the_last_line(tmp_path):
    result = runner.invoke(app, ["config", "validate", str(RECIPE), "-o", "trainer.epochs=0", "--json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout.strip().splitlines()[-1])["error"]
    assert error["type"] == "ConfigError" and "trainer.epochs" in error["message"]


def test_a_bug_is_an_internal_error_with_a_log_not_a_traceback(tmp_path, monkeypatch):
    import scrimmage.cli.list_cmd as list_cmd

    def broken() -> dict:
        raise ZeroDivisionError("simulated bug")

    monkeypatch.setattr(list_cmd, "_catalog", broken)
    wd = tmp_path / "wd"
    result = runner.invoke(app, ["--workdir", str(wd), "list", "--json"])
    out = output_of(result)
    assert result.exit_code == 1, out
    assert "internal error: ZeroDivisionError: simulated bug" in out and "Traceback" not in out
    assert json.loads(result.stdout.strip().splitlines()[-1])["error"]["type"] == "InternalError"
    logs = list((Path(tempfile_dir()) / "scrimmage-logs").glob("internal-error-*.log"))
    assert logs and any("simulated bug" in log.read_text() for log in logs)


def tempfile_dir() -> str:
    import tempfile

    return tempfile.gettempdir()


def test_a_damaged_run_folder_is_skipped_with_a_warning(tmp_path, synthetic_config):
    from scrimmage.engine import run

    run(synthetic_config("trainer.epochs=1"), workdir=tmp_path, progress=False)
    damaged = tmp_path / "runs" / "broken"
    damaged.mkdir()
    (damaged / "run.json").write_text("{not json")
    result = runner.invoke(app, ["--workdir", str(tmp_path), "runs", "--json"])
    assert result.exit_code == 0, output_of(result)
    listed = json.loads(result.stdout.strip().splitlines()[-1])["runs"]
    assert len(listed) == 1 and listed[0]["status"] == "finished"
    assert "skipping run folder" in output_of(result)


def test_a_soft_deleted_experiment_says_how_to_restore_it(tmp_path, synthetic_config):
    from mlflow.tracking import MlflowClient

    from scrimmage.engine import run
    from scrimmage.errors import StoreError

    first = run(synthetic_config("trainer.epochs=1", "tracking.enabled=true"), workdir=tmp_path, progress=False)
    client = MlflowClient(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}")
    client.delete_experiment(client.get_run(first.mlflow_run_id).info.experiment_id)
    runs_before = set((tmp_path / "runs").iterdir())
    with pytest.raises(StoreError, match="was deleted.*mlflow experiments restore"):
        run(synthetic_config("trainer.epochs=1", "tracking.enabled=true"), workdir=tmp_path, progress=False)
    assert set((tmp_path / "runs").iterdir()) == runs_before
