"""The documented deep CQL campaign (recipes/campaign-nfl-cql.yaml) is the one the issue describes: 49 models
in three phases, the robustness phase a vectorized 20-seed ensemble of the best of the others."""

from __future__ import annotations

import itertools

from scrimmage.campaign.sweep import expand, load_sweep
from tests.campaign.conftest import REPO

ARCHITECTURES = [[256, 128, 64], [512, 256, 128], [256, 128, 64, 32], [512, 256, 128, 64], [1024, 512, 256],
                 [1024, 512, 256, 128], [2048, 1024, 512], [2048, 1024, 512, 256]]


def test_the_cql_campaign_expands_to_49_models_in_three_phases():
    path = REPO / "recipes" / "campaign-nfl-cql.yaml"
    out = expand(load_sweep(path), path)
    assert out.campaign == "nfl-cql"
    assert out.phases() == {"quality": {"tasks": 5, "priority": 8, "state": "pending"},
                            "exploration": {"tasks": 24, "priority": 7, "state": "pending"},
                            "robustness": {"tasks": 1, "priority": 6, "state": "waiting"}}
    quality = [t for t in out.tasks if t.phase == "quality"]
    assert len({t.label for t in quality}) == 5
    assert {t.config["trainer"]["epochs"] for t in quality} == {2000}
    exploration = [t for t in out.tasks if t.phase == "exploration"]
    assert {t.config["trainer"]["epochs"] for t in exploration} == {500}
    pairs = {(t.config["loss"]["alpha"], tuple(t.config["model"]["hidden"])) for t in exploration}
    assert pairs == {(a, tuple(h)) for a, h in itertools.product([0.2, 0.25, 0.3], ARCHITECTURES)}
    assert all(t.config["monitor"] == {"metric": "val/roi", "mode": "max"} for t in quality + exploration)
    (robustness,) = [t for t in out.tasks if t.phase == "robustness"]
    assert robustness.overrides["loop"] == {"name": "ensemble", "seeds": list(range(42, 62))}
    assert robustness.overrides["trainer.epochs"] == 1000
    assert robustness.base == {"best_of": ["quality", "exploration"], "metric": "val/roi", "mode": "max"}
    members = len(robustness.overrides["loop"]["seeds"])
    assert len(quality) + len(exploration) + members == 49
