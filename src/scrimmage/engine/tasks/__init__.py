"""Tasks: the contract between the training loop and a kind of problem (see :mod:`.base`)."""
