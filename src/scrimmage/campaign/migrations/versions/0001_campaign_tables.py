"""Campaigns, their tasks and the workers that run them.

A task row is the truth about a training task; procrastinate jobs are tickets that name a row
(``job_id`` is the ticket currently out). Writes of a running attempt are fenced by ``attempt``
and ``worker_id`` (see :mod:`scrimmage.campaign.store`).

Revision ID: 0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("spec", JSONB, nullable=False),  # the sweeps submitted (one per submit, --append adds)
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
    )
    op.create_table(
        "campaign_tasks",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("campaign", sa.Text, sa.ForeignKey("campaigns.name", ondelete="CASCADE"), nullable=False),
        sa.Column("phase", sa.Text, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("recipe", sa.Text),
        sa.Column("config", JSONB),  # the full resolved config; NULL while the phase waits for its bases
        sa.Column("overrides", JSONB, nullable=False),  # the phase's own overrides (a waiting phase applies them later)
        sa.Column("swept", JSONB, nullable=False),
        sa.Column("seed", sa.Integer),
        sa.Column("base", JSONB),  # {best_of, metric, mode} for a waiting phase
        sa.Column("state", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False, server_default="1"),
        sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
        sa.Column("run_id", sa.Text),
        sa.Column("job_id", sa.BigInteger),
        sa.Column("worker_id", sa.Text),
        sa.Column("worker", JSONB),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True)),
        sa.Column("progress", JSONB),
        sa.Column("result", JSONB),
        sa.Column("error", sa.Text),
        sa.Column("log_path", sa.Text),
        sa.Column("log_tail", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("wall_seconds", sa.Float, nullable=False, server_default="0"),
        sa.CheckConstraint("state IN ('waiting', 'pending', 'running', 'done', 'failed', 'cancelled')",
                           name="campaign_tasks_state"),
    )
    op.create_index("campaign_tasks_campaign_state", "campaign_tasks", ["campaign", "state"])
    op.create_table(
        "campaign_workers",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("queue_worker_id", sa.BigInteger),  # procrastinate_workers.id of this run of the worker
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("identity", JSONB, nullable=False),  # cpus, device, threads, python, torch
        sa.Column("task_id", sa.BigInteger),
        sa.Column("tasks_done", sa.Integer, nullable=False, server_default="0"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False, server_default=NOW),
        sa.Column("stopped_at", sa.DateTime(timezone=True)),
    )


def downgrade() -> None:
    op.drop_table("campaign_workers")
    op.drop_index("campaign_tasks_campaign_state", table_name="campaign_tasks")
    op.drop_table("campaign_tasks")
    op.drop_table("campaigns")
