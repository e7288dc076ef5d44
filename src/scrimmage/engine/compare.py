"""``compare(recipes)``: train several recipes on one built dataset and put their models in one table.

The recipes must agree on their ``data`` section (the same split, the same examples), so the data is
built once and every run scores the same test examples; the baselines a report adds are the same
for every run, so the table keeps the first run's and one row per recipe's model. Each run is a
normal run (its own folder, checkpoints, tracking), so any of them can be predicted from, reported
on or resumed later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrimmage.config.loader import config_to_dict
from scrimmage.config.schema import RunConfig
from scrimmage.errors import ConfigError


@dataclass
class Comparison:
    labels: list[str]
    results: list[Any]
    """One :class:`~scrimmage.engine.runner.RunResult` per recipe, in order."""
    report: dict[str, Any] = field(default_factory=dict)
    """The merged table (the shape of ``RunResult.report``): one row per recipe's model, then the baselines."""

    def to_dict(self) -> dict[str, Any]:
        return {"runs": {label: {"run_id": r.run_id, "run_dir": r.run_dir, "test": r.test, "best": r.best,
                                 "epochs": r.epochs_completed, "seconds": r.seconds}
                         for label, r in zip(self.labels, self.results)},
                "report": self.report}


def labels_for(recipes: list[str]) -> list[str]:
    """A short label per recipe (its file stem), numbered where two recipes share one."""
    stems = [Path(r).stem for r in recipes]
    return [stem if stems.count(stem) == 1 else f"{stem}#{i + 1}" for i, stem in enumerate(stems)]


def check_same_data(configs: list[RunConfig], labels: list[str]) -> None:
    first = config_to_dict(configs[0])["data"]
    for label, config in zip(labels[1:], configs[1:]):
        other = config_to_dict(config)["data"]
        if other == first:
            continue
        if other.get("name") != first.get("name"):
            raise ConfigError(f"compare trains every recipe on the same data, but {label} uses dataset "
                              f"'{other.get('name')}' and {labels[0]} '{first.get('name')}'; compare recipes of one dataset")
        keys = sorted(k for k in set(first) | set(other) if first.get(k) != other.get(k))
        shown = ", ".join(f"data.{k}" for k in keys[:4]) + (" ..." if len(keys) > 4 else "")
        raise ConfigError(f"compare trains every recipe on the same data, but {label} differs from {labels[0]} in "
                          f"{shown}; make the data sections equal (or pass -o data.KEY=VALUE to set it for all)")


def merged_report(labels: list[str], results: list[Any]) -> dict[str, Any]:
    first = results[0].report
    rows: dict[str, Any] = {}
    for label, result in zip(labels, results):
        rows[label] = dict(result.report["rows"]["model"])
    for name, row in first["rows"].items():
        if name != "model":
            rows[name if name not in rows else f"baseline {name}"] = row
    notes = [note for note in first.get("notes", []) if not note.startswith("model ")]
    for label, result in zip(labels, results):  # a note about "model" is about that run's model: name it
        notes += [f"{label}{note[len('model'):]}" for note in result.report.get("notes", []) if note.startswith("model ")]
    return {**first, "title": f"{first['title']}: {len(labels)} models", "rows": rows, "notes": notes,
            "extras": {"models": labels}}


def compare(configs: list[RunConfig], labels: list[str], workdir: str | Path, **run_options: Any) -> Comparison:
    """Run each config on one dataset built from the first (see the module docstring)."""
    from scrimmage.engine.runner import run

    if len(configs) < 2:
        raise ConfigError("compare needs at least two recipes")
    check_same_data(configs, labels)
    bundle = configs[0].data.build(Path(workdir))
    results = [run(config, workdir=workdir, data=bundle, recipe=label, **run_options)
               for config, label in zip(configs, labels)]
    return Comparison(labels, results, merged_report(labels, results))
