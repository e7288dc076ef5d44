"""The league-agnostic vocabulary every football layer shares: team codes (:mod:`.teams`), play types and
play-call labels (:mod:`.playtypes`), season and week splits (:mod:`.splits`), the table schemas of both
leagues (:mod:`.schemas`), where the tables live and the one ``dataset_version`` (:mod:`.tables`), and the
per-league store of validated Parquet tables with its manifest (:mod:`.store`).

The bottom layer: it imports nothing else of :mod:`scrimmage.football`.
"""
