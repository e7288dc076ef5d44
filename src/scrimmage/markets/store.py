"""The markets store: ``<workdir>/data/markets/{bars,symbols}.parquet`` and ``manifest.json``.

The same mechanics as the football leagues' store (all-or-nothing writes, the manifest written
last and naming each table's size and sha256, reads checked against it), written here because
a domain must not import another domain. The football helper
(``scrimmage.football.common.store.TableStore``) is generic apart from its default table names;
moving it into the core would let both use one (see the issue note).

* :func:`write_store`: tables to temporary files beside the store, the old manifest removed
  (a stale one must not vouch for new files), the files renamed over the old ones, the manifest
  last and atomically; a failure is a :class:`~scrimmage.errors.DataError` and what was there
  before is left as it was;
* :func:`read_manifest` / :func:`verify` / :func:`read_table`: a missing, damaged or
  mismatching store is a :class:`DataError` that names ``scrimmage data markets --force``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrimmage.errors import DataError
from scrimmage.markets.source import sha256_file

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("bars", "symbols")
MANIFEST = "manifest.json"


def store_dir(workdir: Path) -> Path:
    return Path(workdir) / "data" / "markets"


def rebuild_command(manifest: dict[str, Any] | None = None) -> str:
    src = ((manifest or {}).get("fingerprint") or {}).get("source") or "DIR"
    return f"`scrimmage data markets --source {src} --force`"


def damaged(path: Path, why: str, manifest: dict[str, Any] | None = None) -> DataError:
    return DataError(f"{path} is damaged ({why}); rerun {rebuild_command(manifest)} to rebuild the market tables")


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The manifest, ``None`` when there is none; unreadable or incomplete is a :class:`DataError`."""
    path = out / MANIFEST
    if not path.exists():
        if any((out / f"{t}.parquet").exists() for t in TABLES):
            raise damaged(path, "the file is missing beside the tables, so they cannot be verified (an interrupted ingest?)")
        return None
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise damaged(path, f"not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("fingerprint"), dict):
        raise damaged(path, "no fingerprint")
    tables = manifest.get("tables")
    if not isinstance(manifest.get("summary"), dict) or not isinstance(tables, dict) or any(
        not isinstance(tables.get(t), dict) or not isinstance(tables[t].get("bytes"), int)
        or not isinstance(tables[t].get("sha256"), str) for t in TABLES
    ):
        raise damaged(path, "no summary, or a table without its size and sha256", manifest)
    return manifest


def check_table(out: Path, name: str, manifest: dict[str, Any], checksum: bool) -> Path:
    path = out / f"{name}.parquet"
    rec = manifest["tables"][name]
    if not path.is_file():
        raise damaged(path, "the file is missing", manifest)
    size = path.stat().st_size
    if size != rec["bytes"]:
        raise damaged(path, f"{size:,} bytes where the manifest records {rec['bytes']:,}", manifest)
    if checksum and sha256_file(path) != rec["sha256"]:
        raise damaged(path, "its sha256 checksum differs from the manifest's", manifest)
    return path


def verify(out: Path, manifest: dict[str, Any]) -> None:
    """Every table's size and sha256 against the manifest."""
    for name in TABLES:
        check_table(out, name, manifest, checksum=True)


def read_table(out: Path, name: str, manifest: dict[str, Any]) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    path = check_table(out, name, manifest, checksum=False)
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise damaged(path, f"{type(exc).__name__}: {exc}", manifest) from None


def write_store(out: Path, tables: dict[str, pd.DataFrame], fingerprint: dict[str, Any], summary: dict[str, Any]) -> None:
    """Write ``tables`` and the manifest all-or-nothing (see the module docstring)."""
    import pyarrow as pa

    from scrimmage.io import atomic_write_text, commit

    records: dict[str, dict[str, Any]] = {}
    tmps: dict[str, Path] = {}
    try:
        try:
            out.mkdir(parents=True, exist_ok=True)
            for name, df in tables.items():
                fd, tmp = tempfile.mkstemp(prefix=f".{name}.parquet.", suffix=".tmp", dir=out)
                os.close(fd)
                tmps[name] = Path(tmp)
                df.to_parquet(tmps[name], index=False)
                records[name] = {"file": f"{name}.parquet", "bytes": tmps[name].stat().st_size,
                                 "sha256": sha256_file(tmps[name])}
            manifest = {"fingerprint": fingerprint, "summary": summary, "tables": records,
                        "written_at": time.time(), "pid": os.getpid()}
            (out / MANIFEST).unlink(missing_ok=True)
            for name in list(tmps):
                commit(tmps.pop(name), out / f"{name}.parquet")
            atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=2, default=str))
        finally:
            for tmp in tmps.values():
                tmp.unlink(missing_ok=True)
    except (OSError, pa.ArrowException) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise DataError(f"cannot write the market tables to {out}: {reason}; make that folder writable (or use "
                        "another --workdir) and free disk space, then run again (the tables there before are unchanged)"
                        ) from None
