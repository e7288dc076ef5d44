"""``scrimmage data nfl`` end to end on small source copies, and every misuse of it failing cleanly
(exit 2, a message naming the file or option, no traceback, nothing written)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scrimmage.cli.main import app
from scrimmage.errors import DataError
from scrimmage.football.nfl.ingest import ingest_nfl
from tests.football.cli.failures import clean_failure, nothing_written
from tests.football.conftest import read_game_json


def _run(args: list[str]):
    return CliRunner().invoke(app, args)


def test_json_last_line(tmp_path: Path, mini_source: Path):
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source), "--json"])
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert payload["games"] == 3 and payload["plays"] > 300 and payload["cached"] is False
    assert payload["rules"]["known_score_corrections"]["detected"] == 1
    assert payload["warnings"] == [] and payload["notes"] == []
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


# ---------------------------------------------------------------- misuse: every failure is clean

def _gz_json(path: Path, payload) -> None:
    path.write_bytes(gzip.compress(json.dumps(payload).encode()))


def test_source_is_a_file(tmp_path: Path, mini_source: Path):
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source / "schedule.json")])
    clean_failure(res, "schedule.json")
    with pytest.raises(DataError, match="is a file, not a folder; pass the folder that holds the <eid>.json.gz"):
        ingest_nfl(wd, source_dir=mini_source / "schedule.json")
    nothing_written(wd, "nfl")


def test_source_empty_folder(tmp_path: Path):
    (tmp_path / "empty").mkdir()
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(tmp_path / "empty")])
    clean_failure(res, f"no <eid>.json.gz game files found in {tmp_path / 'empty'}", "schedule.json")
    nothing_written(wd, "nfl")


def test_source_without_schedule(tmp_path: Path, mini_source: Path):
    (mini_source / "schedule.json").unlink()
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    clean_failure(res, f"{mini_source / 'schedule.json'} is missing", "needs a schedule.json")
    nothing_written(wd, "nfl")


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "is not a valid Game Center schedule (JSONDecodeError"),
    ('{"games": {}}', "'games' is a dict, not a list"),
    ('{"games": [["2009091000", {"year": 2009}]]}', "games[0] is not a valid schedule entry (KeyError"),
    ('{"games": [["2009091000"]]}', "games[0] is not a valid schedule entry (ValueError"),
    ('{"games": [["2009091000", {"year": 2009, "month": 9, "day": 10, "week": 1, "season_type": "XMAS", '
     '"home": "PIT", "away": "TEN"}]]}', "season_type 'XMAS' of 2009091000 is not one of PRE, REG, POST"),
])
def test_bad_schedule(tmp_path: Path, mini_source: Path, content: str, message: str):
    (mini_source / "schedule.json").write_text(content)
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    clean_failure(res, "schedule.json", message)
    nothing_written(wd, "nfl")


def test_misnamed_game_file(tmp_path: Path, mini_source: Path):
    (mini_source / "2009091000.json.gz").rename(mini_source / "pit-ten.json.gz")
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    clean_failure(res, "pit-ten.json.gz is not named <eid>.json.gz", "rename or remove it")
    nothing_written(wd, "nfl")


def _doctor_drives_list(game: dict) -> None:
    game["drives"] = [game["drives"]["1"]]


def _doctor_drive(game: dict) -> None:
    game["drives"]["3"] = "three"


def _doctor_players(game: dict) -> None:
    play_id = next(iter(game["drives"]["2"]["plays"]))
    game["drives"]["2"]["plays"][play_id]["players"] = ["not", "a", "dict"]


def _doctor_score(game: dict) -> None:
    game["home"]["score"] = [1, 2, 3]


@pytest.mark.parametrize(("doctor", "field"), [
    (_doctor_drives_list, "drives: expected an object, found a list"),
    (_doctor_drive, "drives.3: expected an object, found a string"),
    (_doctor_players, "drives.2.plays."),
    (_doctor_score, "home.score: expected an object, found a list"),
])
def test_game_file_with_wrong_fields_inside(tmp_path: Path, mini_source: Path, doctor, field: str):
    eid = "2013120806"
    game = read_game_json(eid)
    doctor(game)
    _gz_json(mini_source / f"{eid}.json.gz", {eid: game, "nextupdate": 1})
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    clean_failure(res, f"game file {mini_source / (eid + '.json.gz')} is not a Game Center game: {field}",
                   "fix or remove the file and run again")
    nothing_written(wd, "nfl")


@pytest.mark.parametrize(("raw", "reason"), [  # mtime=0: the same bytes (and test ids) in every xdist worker
    (gzip.compress(b"this is not json", mtime=0), "JSONDecodeError"),
    (b"plain text, not gzip", "BadGzipFile"),
    (gzip.compress(b"[1, 2, 3]", mtime=0), "top level is not a JSON object"),
    (gzip.compress(b'{"2013120806": {"home": {}}}', mtime=0), "not a Game Center game (no home/drives)"),
])
def test_unreadable_game_file_in_source(tmp_path: Path, mini_source: Path, raw: bytes, reason: str):
    (mini_source / "2013120806.json.gz").write_bytes(raw)
    wd = tmp_path / "wd"
    res = _run(["--workdir", str(wd), "data", "nfl", "--source", str(mini_source)])
    clean_failure(res, "cannot read game file", "2013120806.json.gz", reason, "fix or remove the file")
    nothing_written(wd, "nfl")
