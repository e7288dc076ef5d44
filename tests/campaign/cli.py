"""``python -m tests.campaign.cli ARGS...``: the real ``scrimmage`` command with the test components registered."""

from __future__ import annotations

import sys

import tests.campaign.plugin  # noqa: F401  (registers campaign-toy and campaign_pace)
from scrimmage.cli.main import cli

if __name__ == "__main__":
    sys.argv = ["scrimmage", *sys.argv[1:]]
    cli()
