"""The README's quick commands run as written (those that need no trained run or ingest), so they cannot drift."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIMMAGE = str(Path(sys.executable).with_name("scrimmage"))
QUICK = ("config show", "config validate", "list", "runs")
"""Commands whose README examples run in well under a second each on an empty workdir."""


def readme_commands() -> list[str]:
    blocks = re.findall(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("scrimmage ") and line.split(" ", 1)[1].startswith(QUICK)]


def test_the_readme_shows_quick_commands():
    assert len(readme_commands()) >= 5


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_runs_as_written(command, tmp_path):
    args = shlex.split(command)[1:]
    proc = subprocess.run([SCRIMMAGE, "--workdir", str(tmp_path), *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
