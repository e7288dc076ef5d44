"""Monte Carlo game simulator: whole games rolled forward as one batch of tensors.

* :mod:`.state` — the batched game state (one row per simulated game) and how to build it;
* :mod:`.sampler` — the :class:`~.sampler.PlaySampler` protocol every play model implements
  (the empirical sampler now, the hierarchical neural play head later) and what it returns;
* :mod:`.empirical` — :class:`~.empirical.EmpiricalSampler`, fitted from the ingested tables;
* :mod:`.rules` — the rule sets (:class:`~.rules.NFLRules`, :class:`~.rules.NCAARules`);
* :mod:`.engine` — :func:`~.engine.simulate` / :func:`~.engine.simulate_from_state`;
* :mod:`.fidelity` — real against simulated on a set of games;
* :mod:`.cli` — ``scrimmage simulate``.

Nothing is imported here: the CLI registers ``scrimmage.football.cli.simulate:simulate`` at
startup, and importing torch for ``scrimmage --help`` would cost a second.
"""
