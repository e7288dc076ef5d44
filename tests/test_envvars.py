"""Environment variables set for a block come back as they were, set or unset, even when the block fails."""

from __future__ import annotations

import os

import pytest

from scrimmage.envvars import temporary_environ


def test_values_hold_inside_the_block_and_old_ones_come_back_even_after_an_error(monkeypatch):
    monkeypatch.setenv("SCRIMMAGE_TEST_SET", "before")
    monkeypatch.delenv("SCRIMMAGE_TEST_UNSET", raising=False)
    with pytest.raises(RuntimeError), temporary_environ({"SCRIMMAGE_TEST_SET": "inside", "SCRIMMAGE_TEST_UNSET": "x"}):
        assert os.environ["SCRIMMAGE_TEST_SET"] == "inside" and os.environ["SCRIMMAGE_TEST_UNSET"] == "x"
        raise RuntimeError("the block fails")
    assert os.environ["SCRIMMAGE_TEST_SET"] == "before"
    assert "SCRIMMAGE_TEST_UNSET" not in os.environ
