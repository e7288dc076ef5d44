"""American football: NFL play-by-play ingest, quality rules, schemas, betting lines, team codes,
Elo and power ratings, pregame features, baselines and game metrics.

Deliberately empty of imports: the plugin registration imports this package to find the
football datasets, and that must stay cheap (no pandas, pandera or torch at import time).
Import what you need from its modules, e.g. ``scrimmage.football.nfl.ingest.ingest_nfl``.
"""
