"""``scrimmage data markets``: the summary, --json, the cache and --force; every misuse exits 2 with a
clear message and writes nothing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from typer.testing import CliRunner

from scrimmage.cli.main import app
from tests.cli_helpers import clean_failure
from tests.markets.conftest import make_bars, synthetic_folder, write_file


def nothing_written(wd: Path, _: str = "markets") -> None:
    out = wd / "data" / "markets"
    assert not out.exists() or not list(out.iterdir()), list(out.iterdir())


def run(wd: Path, *args: str):
    return CliRunner().invoke(app, ["--workdir", str(wd), "data", "markets", *args])


def last_json(res) -> dict:
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_json_summary_cache_and_force(tmp_path: Path):
    src = synthetic_folder(tmp_path / "src", hours=800)
    wd = tmp_path / "wd"
    res = run(wd, "--source", str(src), "--json")
    assert res.exit_code == 0, res.output
    d = last_json(res)
    assert d["symbols"] == 3 and d["bars"] == 2400 and d["cached"] is False
    assert set(d["rules"]) >= {"missing_hours", "exchange_outage", "relaunched_coin", "late_listing", "missing_columns"}
    assert (wd / "data" / "markets" / "manifest.json").is_file()

    res = run(wd, "--source", str(src), "--json")
    d = last_json(res)
    assert d["cached"] is True and "pass --force to rebuild" in d["notes"][0]
    assert last_json(run(wd, "--source", str(src), "--force", "--json"))["cached"] is False

    write_file(src, "DDDUSDT", make_bars(800, seed=7))  # the source changed: rebuilt without --force
    d = last_json(run(wd, "--source", str(src), "--json"))
    assert d["cached"] is False and d["symbols"] == 4


def test_plain_output_lists_the_rules_per_file(tmp_path: Path):
    src = tmp_path / "src"
    write_file(src, "AAAUSDT", make_bars(800).drop(index=range(100, 140)))
    res = run(tmp_path / "wd", "--source", str(src))
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "data-quality rules" in text and "long_gap" in text and "AAAUSDT 40" in text


def test_missing_source_option(tmp_path: Path):
    clean_failure(run(tmp_path / "wd"), "pass --source DIR")


def test_nonexistent_folder(tmp_path: Path):
    res = run(tmp_path / "wd", "--source", str(tmp_path / "nowhere"), "--json")
    clean_failure(res, "does not exist")
    assert last_json(res)["error"]["type"] == "DataError"
    nothing_written(tmp_path / "wd", "markets")


def test_folder_without_ohlcv_files(tmp_path: Path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "README.md").write_text("no data here")
    clean_failure(run(tmp_path / "wd", "--source", str(tmp_path / "src")), "no OHLCV files in")
    nothing_written(tmp_path / "wd", "markets")


def test_wrong_columns_empty_file_and_damaged_gzip_named_together(tmp_path: Path):
    src = tmp_path / "src"
    write_file(src, "GOODUSDT", make_bars(800))
    write_file(src, "COLSUSDT", make_bars(800).rename(columns={"close": "last"}))
    (src / "EMPTYUSDT_1h.csv.gz").write_bytes(b"")
    (src / "BROKENUSDT_1h.csv.gz").write_bytes(gzip.compress(make_bars(800).to_csv(index=False).encode())[:300])
    res = run(tmp_path / "wd", "--source", str(src))
    clean_failure(res, "3 of the 4 OHLCV files", "COLSUSDT_1h.csv.gz [missing_columns]: no column close",
                  "EMPTYUSDT_1h.csv.gz [empty_file]", "BROKENUSDT_1h.csv.gz [unreadable_file]", "nothing was written")
    nothing_written(tmp_path / "wd", "markets")


def test_a_failed_rebuild_keeps_the_previous_tables(tmp_path: Path):
    src = synthetic_folder(tmp_path / "src", hours=800)
    wd = tmp_path / "wd"
    assert run(wd, "--source", str(src)).exit_code == 0
    before = {p.name: p.read_bytes() for p in (wd / "data" / "markets").iterdir()}
    (src / "EMPTYUSDT_1h.csv.gz").write_bytes(b"")
    clean_failure(run(wd, "--source", str(src), "--force"), "EMPTYUSDT_1h.csv.gz")
    assert {p.name: p.read_bytes() for p in (wd / "data" / "markets").iterdir()} == before


def test_a_damaged_table_is_named_with_the_rebuild_command(tmp_path: Path):
    src = synthetic_folder(tmp_path / "src", hours=800)
    wd = tmp_path / "wd"
    assert run(wd, "--source", str(src)).exit_code == 0
    bars = wd / "data" / "markets" / "bars.parquet"
    data = bytearray(bars.read_bytes())
    data[100] ^= 0xFF
    bars.write_bytes(bytes(data))
    clean_failure(run(wd, "--source", str(src)), "bars.parquet is damaged", "sha256", "--force")
    assert run(wd, "--source", str(src), "--force").exit_code == 0
