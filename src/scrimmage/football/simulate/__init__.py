"""Monte Carlo game simulator: whole games rolled forward as one batch of tensors.

* :mod:`.state` — the batched game state (one row per simulated game) and how to build it;
* :mod:`.sampler` — the :class:`~.sampler.PlaySampler` protocol every play model implements and
  what it returns;
* :mod:`.empirical` — :class:`~.empirical.sampling.EmpiricalSampler`, fitted from the ingested
  tables (sampling, fitting, strength, cache);
* :mod:`.neural` — the trained ``nfl-hierarchical`` model's play head as a sampler, with its
  caches in :mod:`.neural_cache`;
* :mod:`.rules` — the rule sets (:class:`~.rules.NFLRules`, :class:`~.rules.NCAARules`);
* :mod:`.engine` — :func:`~.engine.simulate` / :func:`~.engine.simulate_situation`;
* :mod:`.situation`, :mod:`.season`, :mod:`.fidelity`, :mod:`.plot` — in-game situations, season
  projections, real against simulated, the margin plot;
* :mod:`.api` — every mode of ``scrimmage simulate`` as a function returning a dataclass (the CLI,
  :mod:`scrimmage.football.cli.simulate`, only parses and prints).

The simulator may import datasets and models (the layers below it), never the reverse. Nothing
is imported here: importing torch for ``scrimmage --help`` would cost a second.
"""
