"""American football, one folder per layer; each imports only its own layer and those below it
(``tests/football/test_layers.py`` walks the imports and holds the order):

* :mod:`.common` — the vocabulary: team codes, play types and play-call labels, season and week
  splits, the table schemas, where the tables live and ``dataset_version``, the per-league store;
* :mod:`.nfl`, :mod:`.cfb` — the ingests (source, parse, quality rules, lines) into that store;
* :mod:`.ratings` — Elo, power ratings, team form, baselines and game metrics;
* :mod:`.datasets` — one light schema module per registered dataset beside its builder;
* :mod:`.hierarchical` — the play → drive → game model family (model, losses, task, calibration);
* :mod:`.simulate` — the Monte Carlo simulator: rules, engine, the empirical and neural samplers,
  and its Python API (:mod:`.simulate.api`);
* :mod:`.reports`, :mod:`.predictors` — the registered reports and predictors;
* :mod:`.cli` — ``scrimmage data nfl``, ``data cfb`` and ``simulate``;
* :mod:`.plugin` — the registration with the core (the ``scrimmage.plugins`` entry point).

Deliberately empty of imports: the plugin registration imports this package to find the
football datasets, and that must stay cheap (no pandas, pandera or torch at import time).
Import what you need from its modules, e.g. ``scrimmage.football.nfl.ingest.ingest_nfl``.
"""
