"""Atomic file writes: write to a temp file beside the target, then rename over it.

A reader (or a crash) never sees a half-written file: either the old one or the new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write; on success it is fsynced and renamed to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        commit(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _file_mode() -> int:
    """The mode a plain ``open()`` would give (mkstemp makes 0600 files, which other users could not read)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


def commit(tmp: Path, target: Path) -> None:
    """fsync ``tmp`` and rename it over ``target`` (atomic on POSIX within one filesystem)."""
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, target)


def atomic_write_text(target: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text)
