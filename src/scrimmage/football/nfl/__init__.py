"""NFL ingest: Game Center play-by-play (:mod:`.source`) parsed (:mod:`.parse`, :mod:`.playtypes`), cleaned by named
quality rules (:mod:`.quality`), joined with betting lines (:mod:`.lines`) and written to the league store
(:mod:`.ingest`, on :mod:`scrimmage.football.common.store`)."""
