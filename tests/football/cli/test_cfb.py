"""``scrimmage data cfb`` end to end on a copy of two sample games, and every misuse failing cleanly
(exit 2, a message naming the file or option, no traceback, nothing written)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from scrimmage.cli.main import app
from tests.football.cfb.conftest import read_rows, write_rows
from tests.football.cli.failures import clean_failure, nothing_written


def _run(args: list[str]):
    return CliRunner().invoke(app, args)


def _cfb(wd: Path, src: dict[str, Path], *extra: str, lines: bool = True) -> list[str]:
    args = ["--workdir", str(wd), "data", "cfb", "--source", str(src["pbp"]), "--games", str(src["games"])]
    return args + (["--lines", str(src["lines"])] if lines else []) + list(extra)


def test_json_last_line_and_cache(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    res = _run(_cfb(wd, mini_cfb, "--json"))
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert payload["league"] == "cfb" and payload["games"] == 2 and payload["cached"] is False
    assert payload["lines"]["matched"] == 2 and payload["lines"]["by_book"] == {"ESPN Bet": 2}
    assert payload["rules"]["negative_source_ids"]["detected"] == 1
    assert payload["play_types"]["Rush"]["run"] > 0
    assert (wd / "data" / "cfb" / "manifest.json").is_file()
    res = _run(_cfb(wd, mini_cfb, "--json"))
    assert json.loads(res.stdout.strip().splitlines()[-1])["cached"] is True
    res = _run(_cfb(wd, mini_cfb, "--books", "Bovada,ESPN Bet", "--json"))  # another book order: rebuilt
    payload = json.loads(res.stdout.strip().splitlines()[-1])
    assert payload["cached"] is False and payload["lines"]["by_book"] == {"Bovada": 1, "ESPN Bet": 1}  # one game has ESPN Bet only


def test_human_summary(tmp_path: Path, mini_cfb: dict[str, Path]):
    res = _run(_cfb(tmp_path / "wd", mini_cfb))
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    for needle in ("CFB tables", "data-quality rules", "pbp_score_mismatch", "betting lines: 2 games matched",
                   "CFBD play types", "ESPN Bet"):
        assert needle in text, needle


def test_source_and_games_are_required(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    clean_failure(_run(["--workdir", str(wd), "data", "cfb"]), "--source DIR and --games FILE")
    clean_failure(_run(["--workdir", str(wd), "data", "cfb", "--source", str(mini_cfb["pbp"])]), "pass --games FILE")
    clean_failure(_run(_cfb(wd, mini_cfb, "--books", "Bovada", lines=False)), "--books", "--lines FILE")
    nothing_written(wd, "cfb")


def test_missing_and_empty_folders(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    missing = {**mini_cfb, "pbp": tmp_path / "nowhere"}
    clean_failure(_run(_cfb(wd, missing)), "nowhere does not exist")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no games here")
    clean_failure(_run(_cfb(wd, {**mini_cfb, "pbp": empty})), "no <game_id>.csv files in", "empty")
    clean_failure(_run(_cfb(wd, {**mini_cfb, "pbp": mini_cfb["games"]})), "is a file, not a folder")
    nothing_written(wd, "cfb")


def test_csv_with_a_wrong_header(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    bad = mini_cfb["pbp"] / "401628319.csv"
    header, rows = read_rows(bad)
    renamed = [c.replace("play_type", "type") for c in header]
    write_rows(bad, renamed, [{c.replace("play_type", "type"): v for c, v in r.items()} for r in rows])
    clean_failure(_run(_cfb(wd, mini_cfb)), "401628319.csv lacks columns ['play_type']", "/plays export")
    bad.write_bytes(b"")
    clean_failure(_run(_cfb(wd, mini_cfb)), "401628319.csv is empty")
    nothing_written(wd, "cfb")


def test_csv_with_a_bad_row(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    bad = mini_cfb["pbp"] / "401628319.csv"
    header, rows = read_rows(bad)
    rows[3]["period"] = "second"
    write_rows(bad, header, rows)
    clean_failure(_run(_cfb(wd, mini_cfb)), "401628319.csv, line 5: period not an integer")
    nothing_written(wd, "cfb")


def test_games_file_problems(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    clean_failure(_run(_cfb(wd, {**mini_cfb, "games": tmp_path / "none.csv"})), "games file", "none.csv not found")
    header, rows = read_rows(mini_cfb["games"])
    thin = tmp_path / "thin.csv"
    keep = [c for c in header if c not in ("Neutral Site", "Home Points")]
    write_rows(thin, keep, [{c: r[c] for c in keep} for r in rows])
    clean_failure(_run(_cfb(wd, {**mini_cfb, "games": thin})), "thin.csv lacks columns ['Neutral Site', 'Home Points']")
    other = tmp_path / "other.csv"
    write_rows(other, header, [{**r, "Id": "1" + r["Id"]} for r in rows])
    clean_failure(_run(_cfb(wd, {**mini_cfb, "games": other})), "none of the 2 play-by-play files", "win_loss.csv")
    nothing_written(wd, "cfb")


def test_lines_file_problems(tmp_path: Path, mini_cfb: dict[str, Path]):
    wd = tmp_path / "wd"
    header, rows = read_rows(mini_cfb["lines"])
    thin = tmp_path / "lines.csv"
    keep = [c for c in header if c != "Spread"]
    write_rows(thin, keep, [{c: r[c] for c in keep} for r in rows[:20]])
    clean_failure(_run(_cfb(wd, {**mini_cfb, "lines": thin})), "lines.csv lacks columns ['Spread']")
    write_rows(thin, header, [r for r in rows if r["Id"] not in ("401628319", "401644730")][:20])
    clean_failure(_run(_cfb(wd, {**mini_cfb, "lines": thin})), "matches none of the 2 games")
    nothing_written(wd, "cfb")
