"""The markets store: ``<workdir>/data/markets/{bars,symbols}.parquet`` and ``manifest.json``.

The core :class:`~scrimmage.data.store.TableStore` (all-or-nothing writes, the manifest written last
and naming each table's size and sha256, reads checked against it) with the market tables; a missing,
damaged or mismatching store is a :class:`~scrimmage.errors.DataError` that names
``scrimmage data markets --force``. These functions keep the ingest's calls short.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrimmage.data.store import TableStore

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("bars", "symbols")


def store_dir(workdir: Path) -> Path:
    return Path(workdir) / "data" / "markets"


def rebuild_command(fingerprint: dict[str, Any] | None = None) -> str:
    src = (fingerprint or {}).get("source") or "DIR"
    return f"`scrimmage data markets --source {src} --force`"


def _store(out: Path) -> TableStore:
    return TableStore(out, "market", rebuild_command, fingerprint_keys=(), tables=TABLES)


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest, ``None`` when there is none; unreadable, incomplete, or missing beside tables is a
    :class:`~scrimmage.errors.DataError`."""
    store = _store(out)
    manifest = store.read_manifest()
    if manifest is None:
        if store.stray_tables():
            raise store.no_manifest()
        return None
    store.check_manifest(manifest)
    return manifest


def verify(out: Path, manifest: dict[str, Any]) -> None:
    """Every table's size and sha256 against the manifest."""
    _store(out).verify(manifest)


def read_table(out: Path, name: str, manifest: dict[str, Any]) -> pd.DataFrame:
    return _store(out).read_table(name, manifest)


def write_store(out: Path, tables: dict[str, pd.DataFrame], fingerprint: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write ``tables`` and the manifest all-or-nothing."""
    _store(out).write(tables, fingerprint, summary)
