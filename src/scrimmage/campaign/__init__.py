"""Training campaigns: sweeps of many tasks in phases, on procrastinate (PostgreSQL), worked off by workers anywhere.

* :mod:`~scrimmage.campaign.sweep`: the sweep format, expanded into validated task configs;
* :mod:`~scrimmage.campaign.db`: which PostgreSQL (``--queue``, ``$SCRIMMAGE_QUEUE`` or the embedded
  server of :mod:`~scrimmage.campaign.server`) and the migrations of both schemas;
* :mod:`~scrimmage.campaign.store`: the task rows and their fenced writes;
* :mod:`~scrimmage.campaign.worker` and :mod:`~scrimmage.campaign.child`: the worker process and the
  per-task child that trains through ``scrimmage.engine.run``;
* :mod:`~scrimmage.campaign.results`: status, the results table and plots.
"""
