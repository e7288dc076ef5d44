"""One league's store: the core :class:`~scrimmage.data.store.TableStore` with the football tables.

``<workdir>/data/<league>`` holds ``games``, ``drives`` and ``plays``; every manifest's summary records
the row counts, the data-quality rules, the ingest's time and the table paths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrimmage.data.store import TableStore as CoreTableStore
from scrimmage.data.store import sha256_file
from scrimmage.football.common.tables import TABLES

__all__ = ["SUMMARY_KEYS", "TableStore", "sha256_file"]

#: Summary keys every league's manifest records (a league may record more).
SUMMARY_KEYS = ("games", "drives", "plays", "rules", "seconds", "paths")


class TableStore(CoreTableStore):
    """A league's ``games``, ``drives`` and ``plays`` under ``out``."""

    def __init__(self, out: Path, label: str, rebuild_command: Callable[[dict[str, Any] | None], str],
                 fingerprint_keys: tuple[str, ...] = ("parser_version",)):
        super().__init__(out, label, rebuild_command, fingerprint_keys, tables=TABLES, summary_keys=SUMMARY_KEYS)
