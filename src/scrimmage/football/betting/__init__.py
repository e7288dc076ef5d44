"""NFL betting as offline decisions: the ``nfl-betting`` dataset (walk-forward pregame predictions, every
action's payoff) for the generic ``offline-q`` task, and the betting statistics its report uses."""
