"""The campaign queue: which PostgreSQL, its schemas, and the procrastinate app on it.

One database holds two schemas of tables, each migrated by its own tool:

* procrastinate's (``procrastinate_jobs``, ``procrastinate_workers`` ...), applied with its
  ``SchemaManager`` the first time a database is used;
* ours (``campaigns``, ``campaign_tasks``, ``campaign_workers``), versioned with Alembic in
  :mod:`scrimmage.campaign.migrations` (version table ``scrimmage_alembic_version``, so it never
  collides with an application's own Alembic history in a shared database).

Both run under a PostgreSQL advisory lock, so several workers starting at once migrate once.

The queue is ``--queue URL`` when given, else ``$SCRIMMAGE_QUEUE``, else the embedded server in
``<workdir>/postgres`` (:mod:`scrimmage.campaign.server`), started on demand.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrimmage.errors import ArgumentError, StoreError

QUEUE_ENV = "SCRIMMAGE_QUEUE"
TASK_NAME = "scrimmage.campaign.train"
MIGRATION_LOCK = 7_302_113_501  # pg_advisory_xact_lock key shared by every scrimmage process migrating a queue
CONNECT_TIMEOUT_S = 5
PRIORITY_MIN, PRIORITY_MAX = 0, 100


def queue_name(priority: int) -> str:
    """procrastinate queue of a priority: workers with ``--min-priority P`` listen to the queues of P..100 only
    (procrastinate's fetch orders by priority but cannot filter by it; its queue filter can)."""
    return f"scrimmage.p{priority}"


def check_priority(priority: Any, where: str) -> int:
    if isinstance(priority, bool) or not isinstance(priority, int) or not PRIORITY_MIN <= priority <= PRIORITY_MAX:
        raise ArgumentError(f"{where}: priority must be a whole number from {PRIORITY_MIN} to {PRIORITY_MAX} "
                            f"(higher runs first), got {priority!r}.")
    return priority


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


@dataclass
class Queue:
    """A reachable, migrated campaign queue."""

    url: str
    embedded: bool

    @property
    def display(self) -> str:
        return "embedded server" if self.embedded else redact(self.url)

    def connect(self, autocommit: bool = False, dict_rows: bool = True) -> Any:
        import psycopg
        from psycopg.rows import dict_row, tuple_row

        try:
            return psycopg.connect(self.url, autocommit=autocommit, row_factory=dict_row if dict_rows else tuple_row,
                                   connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            raise unreachable(self.url, exc) from None


def unreachable(url: str, exc: BaseException) -> StoreError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return StoreError(f"cannot reach the campaign queue at {redact(url)}: {reason}. Check the URL, that the server "
                      "runs and accepts connections from this machine (pg_hba.conf, firewall); leave --queue out to "
                      "use the embedded server in the workdir.")


def resolve_url(queue: str | None) -> str | None:
    url = queue if queue is not None else os.environ.get(QUEUE_ENV) or None
    if url is None:
        return None
    url = url.strip()
    if not url:
        raise ArgumentError("--queue is empty: pass a PostgreSQL URL (postgresql://user@host:5432/db) or leave it out "
                            "for the embedded server in the workdir.")
    if not re.match(r"^postgres(ql)?://", url):
        raise ArgumentError(f"--queue {url!r} is not a PostgreSQL URL: it must start with postgresql:// "
                            "(e.g. postgresql://user:password@host:5432/campaigns).")
    return url


def open_queue(queue: str | None, workdir: Path, *, migrate_schema: bool = True) -> Queue:
    """Resolve, reach and (once) migrate the queue; every command starts here."""
    url = resolve_url(queue)
    embedded = url is None
    if embedded:
        from scrimmage.campaign import server

        url = server.start(workdir)
    result = Queue(url, embedded)
    with result.connect(autocommit=True) as conn:
        conn.execute("SELECT 1")
    if migrate_schema:
        migrate(result)
    return result


def migrate(queue: Queue) -> None:
    """procrastinate's schema when missing, then ours to Alembic head; once at a time across processes."""
    import sqlalchemy as sa
    from alembic import command
    from alembic.config import Config

    engine = sa.create_engine("postgresql+psycopg://", creator=lambda: queue.connect(dict_rows=False), poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
                from procrastinate.schema import SchemaManager

                conn.connection.driver_connection.execute(SchemaManager.get_schema())  # no parameters: '%' stays literal
            config = Config()
            config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"cannot prepare the campaign tables in {queue.display}: {type(exc).__name__}: "
                         f"{str(exc).splitlines()[0] if str(exc) else ''}. The user needs the right to create tables "
                         "in that database.") from None
    finally:
        engine.dispose()
