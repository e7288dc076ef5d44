"""The figure hooks of run reports: a domain adds pictures for its datasets without the core naming it.

``FIGURES.register("<data name>", "package.module:function", "what it draws")``, from the domain's
plugin ``register()``; the function takes a :class:`scrimmage.reports.runs.RunData` and returns a list
of :class:`scrimmage.reports.page.Figure` (empty when the run holds nothing to draw). Light on purpose:
plugins import this module while the CLI starts.
"""

from __future__ import annotations

from scrimmage.config.registry import NamedHooks

FIGURES = NamedHooks("figures")
"""Data name (a run's ``data.name``) → ``fn(run: RunData) -> list[Figure]``: the domain's figures for ``report run``."""
