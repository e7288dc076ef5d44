"""Imported last by a campaign worker's forkserver: load the plugins once, so each forked task finds its
components registered (see :mod:`scrimmage.campaign.child`)."""

from __future__ import annotations

from scrimmage.config.registry import load_plugins

load_plugins()
