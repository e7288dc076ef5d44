"""A run's lifecycle in real processes: signals, concurrent first runs, a full disk.

Each run ends marked in run.json and MLflow (interrupted, failed ...), never stuck as running;
SIGTERM is handled like Ctrl-C (checkpoint first), and the printed resume command works as printed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "nfl-pregame.yaml"
SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))
QUICK = ["--json", "-o", "tracking.variant=lifecycle", "-o", "callbacks=[]", "-o", "trainer.batch_size=32", "-o", "trainer.epochs=40"]


def start(workdir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([SCRIMMAGE, "--workdir", str(workdir), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for_epoch(proc: subprocess.Popen, timeout: float = 180) -> list[str]:
    """Read stderr until the first epoch line (the run is training, checkpoints exist)."""
    lines: list[str] = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("epoch   1"):
            return lines
    proc.kill()
    raise AssertionError("the run never reached its first epoch:\n" + "".join(lines))


def run_record(workdir: Path) -> dict:
    records = sorted((workdir / "runs").glob("*/run.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(records[-1].read_text())


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_checkpoints_marks_the_run_and_prints_a_working_resume_command(full_ingest, signum, code):
    _, _, workdir = full_ingest
    proc = start(workdir, "train", str(RECIPE), *QUICK)
    wait_for_epoch(proc)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    record = run_record(workdir)
    assert record["status"] == "interrupted" and record["ended"]
    run_dir = workdir / "runs" / record["run_id"]
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert not list(run_dir.rglob("*.tmp")), "no temp files left"
    command = err.split("Continue with: ")[1].split()
    assert command[:4] == ["scrimmage", "--workdir", str(workdir), "train"]
    listed = subprocess.run([SCRIMMAGE, "--workdir", str(workdir), "runs", "--json"], capture_output=True, text=True)
    info = next(r for r in json.loads(listed.stdout.splitlines()[-1])["runs"] if r["run_id"] == record["run_id"])
    assert info["status"] == "interrupted" and info["resumable"]
    if signum == signal.SIGTERM:  # the printed command works as printed (with fewer epochs to finish quickly)
        resumed = subprocess.run([SCRIMMAGE, *command[1:], "-o", "trainer.epochs=3", "--json"], capture_output=True,
                                 text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert json.loads(resumed.stdout.splitlines()[-1])["run_id"] == record["run_id"]
        assert run_record(workdir)["status"] == "finished"


@pytest.mark.slow
def test_a_killed_run_lists_as_killed_not_running(full_ingest):
    _, _, workdir = full_ingest
    proc = start(workdir, "train", str(RECIPE), *QUICK, "-o", "tracking.variant=sigkill")
    wait_for_epoch(proc)
    proc.kill()
    proc.wait(timeout=30)
    record = run_record(workdir)
    assert record["status"] == "running"  # nobody could mark it ...
    listed = subprocess.run([SCRIMMAGE, "--workdir", str(workdir), "runs", "--json"], capture_output=True, text=True)
    info = next(r for r in json.loads(listed.stdout.splitlines()[-1])["runs"] if r["run_id"] == record["run_id"])
    assert info["status"] == "killed" and info["resumable"]  # ... but the listing sees its process is gone


@pytest.mark.slow
def test_three_concurrent_first_runs_share_a_fresh_mlflow_store(full_ingest, tmp_path):
    _, _, source = full_ingest
    workdir = tmp_path / "wd"
    (workdir / "data").mkdir(parents=True)
    os.symlink(source / "data" / "nfl", workdir / "data" / "nfl")
    procs = [start(workdir, "train", str(RECIPE), "-o", "trainer.epochs=1", "-o", f"tracking.variant=c{i}", "--json")
             for i in range(3)]
    results = [proc.communicate(timeout=300) for proc in procs]
    for proc, (_, err) in zip(procs, results):
        assert proc.returncode == 0, err[-2000:]
    run_ids = {json.loads(out.splitlines()[-1])["mlflow_run_id"] for out, _ in results}
    assert len(run_ids) == 3


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True).returncode == 0


@pytest.mark.slow
def test_a_full_disk_fails_cleanly_and_marks_the_run(full_ingest, tmp_path):
    _, _, source = full_ingest
    workdir = tmp_path / "wd"
    (workdir / "data").mkdir(parents=True)
    os.symlink(source / "data" / "nfl", workdir / "data" / "nfl")
    runs = workdir / "runs"
    if not _mount_tmpfs(runs, "600k"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount permission)")
    try:
        proc = subprocess.run([SCRIMMAGE, "--workdir", str(workdir), "train", str(RECIPE), "-o", "tracking.enabled=false",
                               "-o", "checkpoint.save_top_k=5", "--json"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 2, proc.stderr[-2000:]
        assert "no space left" in proc.stderr and "Traceback" not in proc.stderr
        assert json.loads(proc.stdout.splitlines()[-1])["error"]["type"] == "FilesystemError"
        assert not list(runs.rglob("*.tmp")), "temp files removed"
        record = run_record(workdir)
        assert record["status"] in ("failed", "running")  # marking needs a few bytes the disk may not have
        if record["status"] == "failed":
            assert "No space left" in record["error"]
    finally:
        subprocess.run(["umount", str(runs)], capture_output=True)
