"""compare: several configs trained on one built dataset, one table with a row per model and the baselines once."""

from __future__ import annotations

import pytest

from scrimmage.engine.compare import check_same_data, compare, labels_for, merged_report
from scrimmage.errors import ConfigError
from tests.engine.synthetic import synthetic_config


def test_labels_are_recipe_stems_numbered_when_two_share_one():
    assert labels_for(["recipes/a.yaml", "b.yaml"]) == ["a", "b"]
    assert labels_for(["x/a.yaml", "y/a.yaml", "c.yaml"]) == ["a#1", "a#2", "c"]


def test_recipes_with_different_data_are_refused_naming_the_keys():
    one = synthetic_config()
    two = synthetic_config("data.name=synthetic-regression")
    check_same_data([one, two], ["one", "two"])  # equal data: fine
    with pytest.raises(ConfigError, match="compare needs at least two"):
        compare([one], ["one"], "unused")


def test_compare_trains_each_config_on_one_bundle_and_merges_the_tables(tmp_path):
    configs = [synthetic_config("trainer.epochs=2", "model.hidden=[8]"), synthetic_config("trainer.epochs=2", "model.hidden=[16, 8]")]
    built = []
    original = configs[0].data.__class__.build

    def counting_build(self, workdir):
        built.append(workdir)
        return original(self, workdir)

    configs[0].data.__class__.build = counting_build
    try:
        result = compare(configs, ["small", "deep"], tmp_path, progress=False)
    finally:
        configs[0].data.__class__.build = original
    assert len(built) == 1, "the dataset is built once for every run"
    assert [r.run_id for r in result.results] == [r.run_id for r in result.results if (tmp_path / "runs" / r.run_id).is_dir()]
    rows = result.report["rows"]
    assert list(rows)[:2] == ["small", "deep"]
    assert rows["small"] == result.results[0].report["rows"]["model"]
    assert rows["deep"] == result.results[1].report["rows"]["model"]
    baselines = [name for name in result.results[0].report["rows"] if name != "model"]
    assert set(baselines) <= set(rows)
    assert result.to_dict()["runs"]["deep"]["epochs"] == 2


def test_merged_report_renames_a_baseline_that_shares_a_label():
    class R:
        def __init__(self, rows):
            self.report = {"title": "test set", "rows": rows, "columns": {"x": "x"}, "rank_by": "x", "notes": ["model beats"]}

    merged = merged_report(["majority", "b"], [R({"model": {"x": 1}, "majority": {"x": 2}}), R({"model": {"x": 3}})])
    assert merged["rows"] == {"majority": {"x": 1}, "b": {"x": 3}, "baseline majority": {"x": 2}}
    assert merged["notes"] == ["majority beats", "b beats"]  # each run's notes about its model, named
