"""Progress of long simulations: the renderer's lines and bar, and the time estimate that refuses the absurd
(no data, no sampler: each test well under a second)."""

from __future__ import annotations

import io
import time

import pytest

from scrimmage.errors import ArgumentError
from scrimmage.football.simulate.progress import StderrProgress, check_duration, format_seconds


def test_without_a_terminal_lines_come_at_the_interval_and_at_the_end():
    stream = io.StringIO()
    progress = StderrProgress(interval=3600, stream=stream, tty=False)
    progress(12_000, 50_000)  # the first call starts the clock; no line before the interval
    progress(24_000, 50_000)
    assert stream.getvalue() == ""
    progress(50_000, 50_000)
    assert stream.getvalue().startswith("simulated 50,000 of 50,000 games (100%) in ")
    every = io.StringIO()
    steady = StderrProgress(interval=0, stream=every, tty=False)
    steady(0, 50_000)
    time.sleep(0.01)
    steady(12_000, 50_000)
    lines = every.getvalue().splitlines()
    assert lines[0] == "simulated 0 of 50,000 games (0%)"
    assert lines[1].startswith("simulated 12,000 of 50,000 games (24%), ") and lines[1].endswith(" s left")


def test_the_interval_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SCRIMMAGE_PROGRESS_INTERVAL", "2.5")
    assert StderrProgress().interval == 2.5
    monkeypatch.setenv("SCRIMMAGE_PROGRESS_INTERVAL", "soon")
    assert StderrProgress().interval == 10.0


def test_on_a_terminal_a_bar_is_drawn_and_closed():
    stream = io.StringIO()
    with StderrProgress(stream=stream, tty=True) as progress:
        progress(10, 40)
        assert progress._bar is not None
        progress(40, 40)
        assert progress._bar is None  # closed at the end


@pytest.mark.parametrize(("seconds", "text"), [(40, "40 s"), (600, "10 min"), (7200, "2.0 h"), (200_000, "2.3 days")])
def test_durations_read_naturally(seconds, text):
    assert format_seconds(seconds) == text


def test_the_estimate_refuses_the_absurd_and_says_how_to_override():
    start = time.perf_counter()
    with pytest.raises(ArgumentError, match=r"1,000,000,000 games would take about 2\.3 days .* --max-minutes 3334"):
        check_duration(1_000_000_000, "empirical", "cpu")
    with pytest.raises(ArgumentError, match="500 games/s of the trained play head on cpu"):
        check_duration(10_000_000, "model", "cpu", what="--sims")
    assert time.perf_counter() - start < 0.5
    assert check_duration(1_000_000_000, "empirical", "cpu", max_minutes=0) == pytest.approx(200_000)  # 0: no limit
    assert check_duration(1_000_000_000, "empirical", "cpu", max_minutes=None) == pytest.approx(200_000)
    assert check_duration(10_000, "empirical", "cuda") == pytest.approx(0.2)


def test_results_that_do_not_fit_in_memory_are_refused():
    from scrimmage.football.simulate.progress import check_memory

    check_memory(1_000_000, memory=16 * 2**30)  # 230 MB of results on a 16 GiB machine
    with pytest.raises(ArgumentError, match=r"--n 1,000,000,000: 1,000,000,000 simulated games keep about 214\.2 GiB "
                                            r"of results in memory, over half of this machine's 16\.0 GiB"):
        check_memory(1_000_000_000, "--n 1,000,000,000", memory=16 * 2**30)


def test_a_batch_in_progress_reports_increasing_counts_and_never_itself_complete():
    from scrimmage.football.simulate.progress import within

    heard: list[tuple[int, int]] = []
    share = within(lambda done, total: heard.append((done, total)), 1_000, 500, 2_000)
    for fraction in (0.0, 0.1, 0.1, 0.5, 0.4, 1.0):
        share(fraction)
    assert heard == [(1_050, 2_000), (1_250, 2_000), (1_499, 2_000)]
    assert within(None, 0, 10, 10) is None
