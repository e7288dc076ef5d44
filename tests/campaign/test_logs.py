"""The log tail a worker keeps in the queue: 64 KB from a line start, and what ``campaign logs --follow`` on another
machine would print new from one look to the next (``store.new_log_text``)."""

from __future__ import annotations

from scrimmage.campaign.store import new_log_text
from scrimmage.campaign.worker import LOG_TAIL_BYTES, _tail


def test_the_kept_tail_starts_at_a_line_and_holds_the_last_64_kb(tmp_path):
    log = tmp_path / "log.txt"
    lines = [f"epoch {i}: train/loss {1 / (i + 1):.6f} val/loss {2 / (i + 1):.6f} é" for i in range(3000)]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tail = _tail(log)
    assert LOG_TAIL_BYTES >= 64 * 1024 and len(tail.encode()) <= LOG_TAIL_BYTES
    assert len(tail.encode()) > LOG_TAIL_BYTES - 200  # all of it but the half line at the cut
    assert tail.splitlines()[0] in lines and tail.splitlines()[-1] == lines[-1]
    log.write_text("short\n")
    assert _tail(log) == "short\n"
    assert _tail(tmp_path / "missing.txt") is None


def test_follow_prints_each_line_once_as_the_kept_tail_slides():
    log = "".join(f"epoch {i} loss {i * 7 % 13}\n" for i in range(400))
    window = 1000
    printed, seen = "", ""
    for end in [*range(0, len(log), 150), len(log)]:  # the worker sends the tail of a growing log; the reader looks each time
        tail = log[max(0, end - window):end]
        printed += new_log_text(seen, tail)
        seen = tail
    assert printed == log
    jumped = new_log_text(log[:window], log[-window:])  # grew by more than the tail between two looks
    assert jumped.startswith("[... earlier lines were not kept") and jumped.endswith(log[-window:])
    assert new_log_text(log[-window:], log[-window:]) == ""
