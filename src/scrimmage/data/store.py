"""A folder of validated Parquet tables with a manifest: the store every ingest writes and datasets read.

``<workdir>/data/<source>`` holds the source's tables (a league's ``games``, ``drives``, ``plays``;
the markets' ``bars``, ``symbols``) as Parquet and ``manifest.json``, written last: what produced the
tables (the source's fingerprint: parser version, source, lines file identity ...), the ingest's
summary, and each table's byte size and sha256. :class:`TableStore` is the mechanics every source shares:

* **writes are all-or-nothing** (:meth:`TableStore.write`): every table goes to a temporary file
  beside the store, the old manifest is removed (a stale one must not vouch for new files), the
  files are renamed over the old ones and the new manifest is written last, atomically; a failure
  (read-only folder, full disk) is a :class:`~scrimmage.errors.DataError` and the tables there
  before are left as they were;
* **reads are checked** against the manifest: :meth:`TableStore.verify` (the cache check of an
  ingest, and training) compares every table's size and sha256 (~35 ms for the full NFL ingest);
  :meth:`TableStore.read_table` compares the size and turns pyarrow's errors into the same
  "damaged" :class:`~scrimmage.errors.DataError`, which names the league's rebuild command.

What differs by source (the table names, the fingerprint's and summary's required keys, the rebuild
command, which tables a store may keep from before) is passed in; each ingest keeps its own policy of
when to rebuild.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrimmage.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class TableStore:
    """The tables and manifest of one source under ``out`` (see the module docstring)."""

    def __init__(self, out: Path, label: str, rebuild_command: Callable[[dict[str, Any] | None], str],
                 fingerprint_keys: tuple[str, ...] = ("parser_version",), *, tables: tuple[str, ...],
                 summary_keys: tuple[str, ...] = ()):
        """``label``: the source as messages name it (``NFL``); ``rebuild_command(fingerprint)``: the
        ```scrimmage data ... --force``` that rebuilds the store from what its manifest recorded;
        ``summary_keys``: what every manifest's ingest summary must hold."""
        self.out = Path(out)
        self.label = label
        self.rebuild_command = rebuild_command
        self.fingerprint_keys = fingerprint_keys
        self.tables = tables
        self.summary_keys = summary_keys

    @property
    def manifest_path(self) -> Path:
        return self.out / MANIFEST

    def table_path(self, name: str) -> Path:
        return self.out / f"{name}.parquet"

    def damaged(self, what: Path, why: str, fp: dict[str, Any] | None = None) -> DataError:
        return DataError(f"{what} is damaged ({why}); rerun {self.rebuild_command(fp)} to rebuild the {self.label} tables")

    # ---------------------------------------------------------------- reading

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest (``None`` when there is none); one that is not a JSON object or lacks its
        fingerprint is a :class:`DataError` (damaged)."""
        path = self.manifest_path
        if not path.exists():
            return None
        try:
            manifest = json.loads(path.read_bytes())
        except (OSError, ValueError) as exc:
            raise self.damaged(path, f"not valid JSON: {exc}") from None
        if not isinstance(manifest, dict):
            raise self.damaged(path, f"a JSON {type(manifest).__name__}, not an object")
        fp = manifest.get("fingerprint")
        if not isinstance(fp, dict) or any(k not in fp for k in self.fingerprint_keys):
            keys = " and ".join(self.fingerprint_keys)
            raise self.damaged(path, f"no fingerprint with {keys}" if keys else "no fingerprint")
        return manifest

    def check_manifest(self, manifest: dict[str, Any]) -> None:
        """A current manifest has the summary and a size and checksum per table."""
        fp = manifest["fingerprint"]
        missing = [k for k in ("summary", "tables") if not isinstance(manifest.get(k), dict)]
        if not missing:
            missing += [f"summary.{k}" for k in self.summary_keys if k not in manifest["summary"]]
            for name in self.tables:
                rec = manifest["tables"].get(name)
                if not isinstance(rec, dict) or not isinstance(rec.get("bytes"), int) or not isinstance(rec.get("sha256"), str):
                    missing.append(f"tables.{name}.bytes/sha256")
        if missing:
            raise self.damaged(self.manifest_path, f"missing {', '.join(missing)}", fp)

    def check_table(self, name: str, manifest: dict[str, Any], checksum: bool) -> Path:
        """The table's path once its size (and with ``checksum`` its sha256) match the manifest."""
        path = self.table_path(name)
        rec = manifest["tables"][name]
        fp = manifest["fingerprint"]
        if not path.is_file():
            raise self.damaged(path, "the file is missing", fp)
        size = path.stat().st_size
        if size != rec["bytes"]:
            raise self.damaged(path, f"{size:,} bytes where the manifest records {rec['bytes']:,}", fp)
        if checksum and sha256_file(path) != rec["sha256"]:
            raise self.damaged(path, "its sha256 checksum differs from the manifest's", fp)
        return path

    def verify(self, manifest: dict[str, Any]) -> None:
        """Every table's size and sha256 against the manifest (the cache check)."""
        self.check_manifest(manifest)
        for name in self.tables:
            self.check_table(name, manifest, checksum=True)

    def stray_tables(self) -> list[str]:
        """Table files present without a manifest to vouch for them."""
        return [f"{t}.parquet" for t in self.tables if self.table_path(t).exists()]

    def no_manifest(self) -> DataError:
        return self.damaged(
            self.manifest_path,
            f"the file is missing beside {', '.join(self.stray_tables())}, so the tables cannot be verified "
            "(an interrupted ingest?)",
        )

    def load(self, name: str, parser_version: int, first_run: str) -> pd.DataFrame:
        """One table, checked: a known name, a manifest vouching for it, written by this parser version, its size
        as the manifest says. ``first_run``: the command that builds the store (for a workdir without it)."""
        if name not in self.tables:
            raise DataError(f"unknown {self.label} table {name!r}; choose one of {', '.join(self.tables)}")
        manifest = self.read_manifest()
        if manifest is None:
            if self.stray_tables():
                raise self.no_manifest()
            raise DataError(f"{self.label} table {self.table_path(name)} not found; run `{first_run}` first")
        fp = manifest["fingerprint"]
        if fp.get("parser_version") != parser_version:
            raise DataError(
                f"the {self.label} tables in {self.out} were built by parser version {fp.get('parser_version')} (this "
                f"scrimmage reads version {parser_version}); rebuild them with {self.rebuild_command(fp)}"
            )
        return self.read_table(name, manifest)

    def read_table(self, name: str, manifest: dict[str, Any]) -> pd.DataFrame:
        """One table, its size checked against the manifest; a file pyarrow cannot read is damaged."""
        import pandas as pd
        import pyarrow as pa

        self.check_manifest(manifest)
        path = self.check_table(name, manifest, checksum=False)
        try:
            return pd.read_parquet(path)
        except (OSError, ValueError, pa.ArrowException) as exc:
            raise self.damaged(path, f"{type(exc).__name__}: {exc}", manifest["fingerprint"]) from None

    # ---------------------------------------------------------------- writing

    def write(self, tables: dict[str, pd.DataFrame], fp: dict[str, Any], summary: dict[str, Any],
              keep: dict[str, dict[str, Any]] | None = None) -> None:
        """Write ``tables`` and the manifest (``fp``, ``summary``) all-or-nothing; ``keep`` holds the
        manifest records of tables left as they are (see the module docstring)."""
        import pyarrow as pa

        from scrimmage.io import atomic_write_text, commit

        records = dict(keep or {})
        tmps: dict[str, Path] = {}
        try:
            try:
                self.out.mkdir(parents=True, exist_ok=True)
                for name, df in tables.items():
                    fd, tmp = tempfile.mkstemp(prefix=f".{name}.parquet.", suffix=".tmp", dir=self.out)
                    os.close(fd)
                    tmps[name] = Path(tmp)
                    df.to_parquet(tmps[name], index=False)
                    records[name] = {"file": f"{name}.parquet", "bytes": tmps[name].stat().st_size,
                                     "sha256": sha256_file(tmps[name])}
                manifest = {
                    "fingerprint": fp, "summary": summary, "tables": {n: records[n] for n in self.tables},
                    "written_at": time.time(), "pid": os.getpid(),
                }
                self.manifest_path.unlink(missing_ok=True)  # a stale manifest must not vouch for new files
                for name in list(tmps):
                    commit(tmps.pop(name), self.table_path(name))
                atomic_write_text(self.manifest_path, json.dumps(manifest, indent=2, default=str))
            finally:
                for tmp in tmps.values():
                    tmp.unlink(missing_ok=True)
        except (OSError, pa.ArrowException) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise DataError(
                f"cannot write the {self.label} tables to {self.out}: {reason}; make that folder writable (or use "
                "another --workdir) and free disk space, then run again (the tables there before are unchanged)"
            ) from None
