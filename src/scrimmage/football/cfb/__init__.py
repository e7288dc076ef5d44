"""College football (CollegeFootballData.com exports) in the NFL's plays / drives / games tables.

* :mod:`.source`: the per-game play-by-play CSVs (``/plays`` export) and the games file
  (``win_loss.csv``), read and checked (headers, required columns);
* :mod:`.playtypes`: CFBD ``play_type`` strings → the project's play types (the mapping table),
  flags and points from the type and the play text;
* :mod:`.parse`: one game's rows → plays, drives and its games row, under the rules of
  :mod:`.quality` (every problem of the source counted by name, none silent);
* :mod:`.lines`: ``betting_lines.csv`` (several books per game) → one line per game by a
  documented book priority;
* :mod:`.ingest`: the whole ingest, validated by the same pandera schemas as the NFL
  (:data:`scrimmage.football.common.schemas.CFB_SCHEMAS`, league ``"cfb"``), written all-or-nothing to
  ``<workdir>/data/cfb`` with a manifest; :func:`.ingest.load_cfb_table` reads a table back;
``scrimmage data cfb`` is :mod:`scrimmage.football.cli.cfb`; the store mechanics are
:mod:`scrimmage.football.common.store`, shared with the NFL.
"""
