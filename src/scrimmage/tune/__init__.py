"""Hyperparameter search on Optuna: search spaces from the recipe's ``search:`` section, pruning as an
engine callback, studies in SQLite, a journal file or a database, the best trial kept and evaluated.

``tune(config, trials=N)`` (:mod:`scrimmage.tune.study`) and ``evaluate(target)``
(:mod:`scrimmage.tune.evaluate`) are the Python API the ``scrimmage tune`` and ``scrimmage evaluate``
commands print. Every trial is an ordinary :func:`scrimmage.engine.run`; the core knows no dataset.
"""
