"""The hierarchical play → drive → game model: one causal encoder over a game's snaps, three levels of heads.

* :mod:`.configs` — the light schemas: the ``hierarchical`` model, the ``nfl-hierarchical`` loss and task;
* :mod:`.model` — ``hierarchical``: LSTM / GRU / causal Transformer encoder and the play, drive, game heads;
* :mod:`.task` — ``nfl-hierarchical``: the multi-level loss, metrics, evaluation and its own report row
  (:mod:`.rows`; the baselines are the ``hierarchical-baselines`` report);
* :mod:`.losses` — the football-specific losses (state consistency) and the level sums;
* :mod:`.calibration` — the simulator's calibration offsets, fitted on the validation plays.

Its datasets (``nfl-games``, ``cfb-games``) are in :mod:`scrimmage.football.datasets`; simulating with
it is :mod:`scrimmage.football.simulate.neural`.
"""
