"""The football plugin registers every schema while importing only light modules: no torch, pandas or pandera
(``scrimmage --help``, ``config validate`` and ``list`` start without them)."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
from scrimmage.football.plugin import register
register()
from scrimmage.config.registry import DATASETS, LOSSES, MODELS, REPORTS, TASKS
heavy = sorted(m for m in ("torch", "pandas", "pandera", "numpy", "pyarrow") if m in sys.modules)
assert not heavy, f"registering football imported {heavy}"
names = {r: set(getattr(reg, "names", lambda: reg)()) for r, reg in
         (("d", DATASETS), ("m", MODELS), ("l", LOSSES), ("t", TASKS), ("r", REPORTS))}
print(sorted(names["d"]), sorted(names["r"]))
"""


def test_registering_football_imports_nothing_heavy():
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "'nfl-pregame'" in out.stdout and "'cfb-games'" in out.stdout and "'simulate-test-games'" in out.stdout
