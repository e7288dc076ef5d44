"""Ratings and features over the games table: Elo (:mod:`.elo`), power ratings (:mod:`.power`), team form
(:mod:`.form`), the baselines a model is reported beside (:mod:`.baselines`) and game metrics (:mod:`.metrics`)."""
