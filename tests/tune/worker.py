"""``python -m tests.tune.worker ARGS...``: the real ``scrimmage`` command with the synthetic dataset registered."""

from __future__ import annotations

import sys

import tests.tune.synthetic  # noqa: F401  (registers synthetic-binary and park_once)
from scrimmage.cli.main import cli

if __name__ == "__main__":
    sys.argv = ["scrimmage", *sys.argv[1:]]
    cli()
