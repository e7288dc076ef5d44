"""Window split memory: peak RSS of building 4M windows (24 steps x 23 features) and training 50 GRU steps.

Materialised, the windows' ``x`` alone would be 8.8 GB (4M x 24 x 23 float32); a
:class:`~scrimmage.data.splits.WindowSplit` holds the base rows (0.37 GB) and gathers each batch's
windows at ``take`` time, and standardises the base rows once. The whole process is measured
(torch, the engine, the data, the prepared copy of the training split, 50 optimizer steps through
``scrimmage.engine.run``): ``ru_maxrss`` at the end. The dataset is ``synthetic-windows`` from
``tests/data/windows.py`` (the same one ``tests/data/test_splits.py`` runs in a child process).

Prints one JSON line. Run: .venv/bin/python benchmarks/window_split_memory.py [--windows 4000000] [--steps 50]
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.data.windows

from tests.data.windows import main

if __name__ == "__main__":
    main()
