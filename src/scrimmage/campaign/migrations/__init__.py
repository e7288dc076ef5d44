"""Alembic migrations of the campaign tables (``scrimmage_alembic_version`` tracks them); see :mod:`scrimmage.campaign.db`."""
