"""What the rules find in the real folder (../shared/data/markets/binance_spot_1h), as counts: six symbols
ingested once per session, the whole folder in one slow test (the README's figures). Skipped without the data."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from scrimmage.markets.dataset import MarketWindowsConfig
from scrimmage.markets.ingest import ingest_markets
from tests.markets.conftest import REAL_FEW, need_real

OUTAGES = [{"start": "2021-04-20 02:00", "hours": 2}, {"start": "2021-04-25 05:00", "hours": 3},
           {"start": "2021-08-13 02:00", "hours": 4}, {"start": "2021-09-29 07:00", "hours": 2},
           {"start": "2023-03-24 13:00", "hours": 1}]


def per_file(summary: dict, rule: str) -> dict[str, int]:
    return summary["rules"][rule]["per_file"]


def test_six_real_symbols(real_few):
    s = real_few["summary"]
    assert s["symbols"] == len(REAL_FEW) and s["bars"] == 138_952
    assert s["outages"] == OUTAGES  # the same 12 hours every major misses
    assert per_file(s, "missing_hours") == {"BTCUSDT": 12, "CFXUSDT": 12, "ETHUSDT": 12, "GALAUSDT": 3,
                                            "KEYUSDT": 689, "LUNAUSDT": 449}
    assert per_file(s, "exchange_outage")["BTCUSDT"] == 12 and per_file(s, "exchange_outage")["GALAUSDT"] == 3
    assert per_file(s, "long_gap") == {"KEYUSDT": 1, "LUNAUSDT": 1}
    assert per_file(s, "relaunched_coin") == {"LUNAUSDT": 1}  # Terra Classic → Terra 2.0; KEY's month is one coin
    assert per_file(s, "late_listing") == {"GALAUSDT": 1}
    assert per_file(s, "flat_bars")["CFXUSDT"] == 8 and per_file(s, "zero_volume_bars")["CFXUSDT"] == 2
    assert per_file(s, "stale_close_runs") == {"CFXUSDT": 14}
    for rule in ("unsorted_timestamps", "duplicate_timestamps", "non_finite_values", "non_positive_prices"):
        assert s["rules"][rule]["detected"] == 0


def test_luna_is_two_segments_and_no_return_crosses_its_gap(real_few):
    b = MarketWindowsConfig(symbols=["LUNAUSDT", "KEYUSDT", "BTCUSDT"]).build(real_few["workdir"])
    assert b.info["segments"] == 5
    luna = b.frames["train"].query("symbol == 'LUNAUSDT'")
    collapse, relaunch = pd.Timestamp("2022-05-13 00:00", tz="UTC"), pd.Timestamp("2022-05-31 06:00", tz="UTC")
    assert not ((luna["time"] + pd.Timedelta("24h") > collapse) & (luna["time"] < relaunch + pd.Timedelta("23h"))).any()
    assert luna["forward_return"].abs().max() < 100  # a return across the gap would be ~190,000x
    # the relaunched coin starts over: its first window needs a full warm-up after the relaunch
    after = luna[luna["time"] > collapse]["time"].min()
    assert after >= relaunch + pd.Timedelta(hours=168 + 23)
    key = b.frames["val"].query("symbol == 'KEYUSDT'")["time"]
    last, back = pd.Timestamp("2023-02-10 02:00", tz="UTC"), pd.Timestamp("2023-03-10 08:00", tz="UTC")  # KEY's month
    assert (key <= last - pd.Timedelta("24h")).any() and (key >= back + pd.Timedelta(hours=168 + 23)).any()
    assert not ((key > last - pd.Timedelta("24h")) & (key < back + pd.Timedelta(hours=168 + 23))).any()
    rates = b.info["positive_rate"]
    assert set(rates["split"]) == {"train", "val", "test"} and set(rates["year"]) == {"2021", "2022", "2023"}


@pytest.mark.slow
def test_the_whole_folder(tmp_path: Path):
    """The README's rule counts (100 files, 2.37M bars)."""
    s = ingest_markets(tmp_path / "wd", need_real()).to_dict()
    assert s["symbols"] == 100 and s["bars"] == 2_372_426 and s["outages"] == OUTAGES
    found = {name: (r["detected"], r["files"]) for name, r in s["rules"].items() if r["detected"]}
    assert found == {"missing_hours": (2246, 100), "exchange_outage": (1132, 100), "long_gap": (2, 2),
                     "relaunched_coin": (1, 1), "zero_volume_bars": (103, 100), "flat_bars": (123, 100),
                     "stale_close_runs": (174, 42), "late_listing": (11, 11)}
    assert per_file(s, "relaunched_coin") == {"LUNAUSDT": 1} and per_file(s, "long_gap") == {"KEYUSDT": 1, "LUNAUSDT": 1}
    assert min(per_file(s, "missing_hours").values()) >= 3  # every file misses hours


def _reading(pid: int, folder: Path) -> bool:
    try:
        real = str(folder.resolve())  # an open file's link names the real path (../shared may be a symlink)
        return any(real in os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _interrupt_ingest(src: Path, wd: Path, delay: float) -> tuple[int, str, str]:
    """Start `data markets`, Ctrl-C its process group once it reads the source (or after ``delay`` s)."""
    scrimmage = Path(sys.executable).parent / "scrimmage"
    proc = subprocess.Popen([str(scrimmage), "--workdir", str(wd), "data", "markets", "--source", str(src), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as from a terminal
    deadline = time.monotonic() + delay
    while proc.poll() is None and time.monotonic() < deadline and not _reading(proc.pid, src):
        time.sleep(0.005)  # until it reads the source files (or the delay passes): the ingest is under way
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
    except ProcessLookupError:  # it already ended
        pass
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


@pytest.mark.slow
def test_ctrl_c_during_the_ingest_leaves_nothing(tmp_path: Path):
    """The signal goes when the process is seen reading a source file; an idle machine may finish the folder
    between two looks, so it tries again (each try either finished cleanly or was interrupted leaving nothing)."""
    src = need_real()
    for attempt in range(4):
        wd = tmp_path / f"wd{attempt}"
        code, out, err = _interrupt_ingest(src, wd, delay=60)
        if code == 0:
            continue  # the ingest finished before the signal arrived: try again
        assert code == 130, err
        assert "interrupted" in err and "Traceback" not in err
        assert '"Interrupted"' in out.strip().splitlines()[-1]
        assert not (wd / "data" / "markets" / "manifest.json").exists()
        return
    pytest.skip("the ingest finished before every signal (a very fast machine)")
