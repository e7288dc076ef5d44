"""Self-contained HTML reports: a finished run, runs side by side, an Optuna study.

Reports read what a run leaves in its folder (``config.yaml``, ``run.json``, ``result.json``,
``history.csv``, ``predictions/test.csv``) or what a study keeps in its Optuna storage, and write one
HTML file with every figure inline (base64 PNG from matplotlib's Agg canvas), a small inline style
sheet and no script, font or style from anywhere else: the file opens from disk, offline, and can be
mailed. Reading a run needs no torch. Domain pictures (a sport's calibration of home wins, a simulator's
real-versus-simulated distributions) come from the :data:`scrimmage.reports.hooks.FIGURES` registry
keyed by the run's ``data.name``; this package names no domain.
"""
