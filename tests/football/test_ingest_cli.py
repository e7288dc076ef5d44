"""``scrimmage data nfl`` end to end on small source copies."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scrimmage.cli.main import app


def _run(args: list[str]):
    return CliRunner().invoke(app, args)


def test_json_last_line(tmp_path: Path, mini_source: Path):
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert payload["games"] == 3 and payload["plays"] > 300 and payload["cached"] is False
    assert payload["rules"]["known_score_corrections"]["detected"] == 1
    assert (wd / "data" / "nfl" / "manifest.json").is_file()
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source), "--json"])
    assert json.loads(res.stdout.strip().splitlines()[-1])["cached"] is True


def test_corrupt_gz_in_source(tmp_path: Path, mini_source: Path):
    bad = mini_source / "2013120806.json.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage-not-gzip")
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    assert res.exit_code == 2
    assert "2013120806.json.gz" in res.output
    assert "Traceback" not in res.output
    out = wd / "data" / "nfl"
    assert not list(out.glob("*.parquet")) and not list(out.glob(".*tmp"))
    assert not (out / "manifest.json").exists()


def test_missing_lines_file(tmp_path: Path, mini_source: Path):
    res = _run(["--workdir", str(tmp_path / "wd"), "data", "nfl", "--source", str(mini_source), "--lines", str(tmp_path / "none.csv")])
    assert res.exit_code == 2
    assert "none.csv" in res.output and "Traceback" not in res.output
