"""The hierarchical play → drive → game model: one causal encoder over a game's snaps, three levels of heads.

* :mod:`.dataset` — ``nfl-games``: one example per game, its snaps in order ``[G, T, F]`` with a mask.
* :mod:`.model` — ``hierarchical``: LSTM / GRU / causal Transformer encoder and the play, drive, game heads.
* :mod:`.task` — ``nfl-hierarchical``: the multi-level loss, metrics, evaluation and the report.
* :mod:`.losses` — the football-specific losses (state consistency) and the level sums.
"""
