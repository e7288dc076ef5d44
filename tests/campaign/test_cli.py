"""``scrimmage campaign`` and ``scrimmage worker`` without training: submit, status, cancel, retry, the
embedded server's lifecycle, and every misuse (exit 2, one message, nothing half-written)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import tests.campaign.plugin  # noqa: F401  (registers campaign-toy)
from scrimmage.cli.main import app
from tests.campaign.conftest import rows, task_rows, write_recipe, write_sweep

runner = CliRunner()


def invoke(workdir: Path, *args: str):
    return runner.invoke(app, ["--workdir", str(workdir), *args])


def ok(workdir: Path, *args: str) -> dict:
    result = invoke(workdir, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def fails(workdir: Path, args: list[str], message: str) -> str:
    result = invoke(workdir, *args)
    output = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert message in output, output
    assert "Traceback" not in result.output
    return output


@pytest.fixture
def sweep_file(tmp_path: Path) -> Path:
    recipe = write_recipe(tmp_path / "toy.yaml")
    return write_sweep(tmp_path / "sweep.yaml", "demo", [
        {"name": "quality", "priority": 8, "recipe": str(recipe), "grid": {"optim.lr": [0.01, 0.003]}, "seeds": [1]},
        {"name": "robustness", "priority": 6, "base": {"best_of": ["quality"], "metric": "val/loss", "mode": "min"},
         "seeds": [5, 6, 7]}])


def test_submit_status_cancel_retry(tmp_path, queue_url, sweep_file):
    wd = tmp_path / "wd"
    out = ok(wd, "campaign", "submit", str(sweep_file), "--queue", queue_url)
    assert out["campaign"] == "demo" and out["tasks"] == 5
    assert out["phases"]["robustness"] == {"tasks": 3, "priority": 6, "state": "waiting"}
    tasks = task_rows(queue_url, "demo")
    assert [t["state"] for t in tasks] == ["pending"] * 2 + ["waiting"] * 3
    jobs = rows(queue_url, "SELECT priority, queue_name, status::text AS status FROM procrastinate_jobs ORDER BY id")
    assert jobs == [{"priority": 8, "queue_name": "scrimmage.p8", "status": "todo"}] * 2  # tickets for pending tasks only
    assert {t["run_id"] for t in tasks} == {f"demo-t{t['id']}" for t in tasks}

    status = ok(wd, "campaign", "status", "demo", "--queue", queue_url)
    assert status["tasks"] == {"waiting": 3, "pending": 2, "running": 0, "done": 0, "failed": 0, "cancelled": 0}
    assert status["workers"] == [] and status["phases"]["quality"]["pending"] == 2
    listing = ok(wd, "campaign", "status", "--queue", queue_url)
    assert listing["campaigns"][0]["campaign"] == "demo"

    first = tasks[0]["id"]
    assert ok(wd, "campaign", "cancel", "demo", "--task", str(first), "--queue", queue_url)["cancelled"] == [first]
    assert rows(queue_url, "SELECT status::text AS s FROM procrastinate_jobs WHERE id = %s", tasks[0]["job_id"])[0]["s"] == "cancelled"
    fails(wd, ["campaign", "cancel", "demo", "--task", str(first), "--queue", queue_url], "is cancelled already")
    retried = ok(wd, "campaign", "retry", "demo", "--task", str(first), "--priority", "9", "--queue", queue_url)
    assert retried["retried"] == [first]
    row = task_rows(queue_url, "demo")[0]
    assert (row["state"], row["attempt"], row["priority"]) == ("pending", 2, 9)
    assert rows(queue_url, "SELECT priority FROM procrastinate_jobs WHERE id = %s", row["job_id"])[0]["priority"] == 9

    assert len(ok(wd, "campaign", "cancel", "demo", "--queue", queue_url)["cancelled"]) == 5
    assert {t["state"] for t in task_rows(queue_url, "demo")} == {"cancelled"}
    assert len(ok(wd, "campaign", "retry", "demo", "--queue", queue_url)["retried"]) == 5
    assert [t["state"] for t in task_rows(queue_url, "demo")] == ["pending"] * 2 + ["waiting"] * 3


def test_append_adds_phases_and_a_second_submit_is_refused(tmp_path, queue_url, sweep_file):
    wd = tmp_path / "wd"
    ok(wd, "campaign", "submit", str(sweep_file), "--queue", queue_url)
    fails(wd, ["campaign", "submit", str(sweep_file), "--queue", queue_url],
          "campaign 'demo' exists already in postgresql://")
    assert len(task_rows(queue_url, "demo")) == 5
    fails(wd, ["campaign", "submit", str(sweep_file), "--queue", queue_url, "--append"], "phase 'quality' appears twice")
    more = write_sweep(tmp_path / "more.yaml", "demo", [
        {"name": "longer", "priority": 7, "base": {"best_of": ["quality"], "metric": "val/loss", "mode": "min"},
         "overrides": {"trainer.epochs": 6}, "seeds": [1]}])
    out = ok(wd, "campaign", "submit", str(more), "--queue", queue_url, "--append")
    assert out["tasks"] == 1 and out["appended"] is True
    assert len(task_rows(queue_url, "demo")) == 6


def test_misuse_writes_nothing(tmp_path, queue_url, sweep_file):
    wd = tmp_path / "wd"
    bad = write_sweep(tmp_path / "bad.yaml", "demo", [
        {"name": "quality", "recipe": str(tmp_path / "toy.yaml"), "configs": [{"label": "a03", "optim.lrr": 0.3}]}])
    fails(wd, ["campaign", "submit", str(bad), "--queue", queue_url], "phase 'quality', task 'a03'")
    prio = write_sweep(tmp_path / "prio.yaml", "demo", [{"name": "q", "priority": 500, "recipe": str(tmp_path / "toy.yaml")}])
    fails(wd, ["campaign", "submit", str(prio), "--queue", queue_url], "priority: must be a whole number from 0 to 100")
    vec = write_sweep(tmp_path / "vec.yaml", "demo", [
        {"name": "q", "recipe": str(tmp_path / "toy.yaml"), "ensemble": "vectorize"}])
    fails(wd, ["campaign", "submit", str(vec), "--queue", queue_url], "phase 'q': ensemble: vectorize needs seeds")
    fails(wd, ["campaign", "submit", str(tmp_path / "nope.yaml"), "--queue", queue_url], "nope.yaml: not found")
    assert not wd.exists(), "a rejected sweep must not even start the embedded server"
    fails(wd, ["campaign", "submit", str(sweep_file), "--queue", "postgresql://postgres@127.0.0.1:1/nothing"],
          "cannot reach the campaign queue at postgresql://postgres@127.0.0.1:1/nothing")
    fails(wd, ["campaign", "submit", str(sweep_file), "--queue", "mysql://x"], "is not a PostgreSQL URL")
    fails(wd, ["campaign", "status", "--queue", ""], "--queue is empty")
    fails(wd, ["campaign", "status", "nope", "--queue", queue_url], "no campaign named 'nope' in this queue")
    ok(wd, "campaign", "submit", str(sweep_file), "--queue", queue_url)
    fails(wd, ["campaign", "status", "dmeo", "--queue", queue_url], "Did you mean 'demo'?")
    fails(wd, ["campaign", "retry", "demo", "--priority", "101", "--queue", queue_url], "--priority: priority must be a whole number")
    fails(wd, ["campaign", "retry", "demo", "--task", "99999", "--queue", queue_url], "campaign 'demo' has no task 99999")
    first = task_rows(queue_url, "demo")[0]["id"]
    fails(wd, ["campaign", "retry", "demo", "--task", str(first), "--queue", queue_url], "only failed or cancelled tasks")
    fails(wd, ["campaign", "logs", "99999", "--queue", queue_url], "no task 99999 in this queue")
    fails(wd, ["campaign", "results", "demo", "--csv", str(tmp_path / "r.csv"), "--queue", queue_url], "has no done task yet")
    assert not (tmp_path / "r.csv").exists()
    for args, message in ((["--max-tasks", "0"], "--max-tasks must be at least 1"),
                          (["--min-priority", "101"], "--min-priority: priority must be a whole number"),
                          (["--threads", "0"], "--threads must be at least 1"),
                          (["--heartbeat", "0"], "--heartbeat must be between"),
                          (["--worker-id", "a b"], "--worker-id 'a b'")):
        fails(wd, ["worker", "--queue", queue_url, *args], message)
    assert rows(queue_url, "SELECT count(*) AS n FROM campaign_workers")[0]["n"] == 0


def test_the_embedded_server_lives_in_the_workdir_and_outlives_commands(server_home, sweep_file):
    wd = server_home
    out = ok(wd, "campaign", "submit", str(sweep_file))
    assert out["queue"] == "embedded server"
    info = ok(wd, "campaign", "server")
    assert info["running"] and info["data_dir"] == str((wd / "postgres").resolve())
    import os

    assert os.getsid(info["pid"]) != os.getsid(0), "the server must run in a session of its own"
    assert ok(wd, "campaign", "status", "demo")["tasks"]["pending"] == 2
    assert ok(wd, "campaign", "server", "--stop")["stopped"] is True
    assert ok(wd, "campaign", "server")["running"] is False
    assert ok(wd, "campaign", "status", "demo")["tasks"]["waiting"] == 3  # started again on demand, data kept
    ok(wd, "campaign", "server", "--stop")


def test_a_real_postgresql_server(tmp_path, real_queue_url, sweep_file):
    wd = tmp_path / "wd"
    assert ok(wd, "campaign", "submit", str(sweep_file), "--queue", real_queue_url)["tasks"] == 5
    assert ok(wd, "campaign", "status", "demo", "--queue", real_queue_url)["tasks"]["pending"] == 2
    assert len(ok(wd, "campaign", "cancel", "demo", "--queue", real_queue_url)["cancelled"]) == 5
    assert not (wd / "postgres").exists()
