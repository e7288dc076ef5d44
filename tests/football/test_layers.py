"""``scrimmage.football`` is one folder per layer, each importing only its own layer and those below it,
with no import cycle (every import counts: module level and inside functions, relative and absolute;
read with ``ast``, see :mod:`tests.import_graph`)."""

from __future__ import annotations

from tests.import_graph import cycles, import_graph, path_between

PACKAGE = "scrimmage.football"
#: Bottom to top. A module may import modules of its own layer and of the layers listed before it.
#: Layers in one tuple share a rank (reports and predictors sit side by side).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("",),  # the package itself (empty)
    ("common",),  # vocabulary: teams, play types and labels, splits, table schemas, paths, the store
    ("nfl",),  # NFL ingest: source, parse, quality rules, lines
    ("cfb",),  # college ingest (reuses the NFL's parse helpers and quality-rule types)
    ("ratings",),  # Elo, power ratings, form, baselines, metrics
    ("datasets",),  # one module per registered dataset (schema) beside its builder
    ("betting",),  # betting decisions: the nfl-betting dataset on walk-forward pregame predictions, payoffs, statistics
    ("hierarchical",),  # the model family: model, losses, task, calibration
    ("simulate",),  # rules, engine, samplers (empirical, neural), the Python API
    ("reports", "predictors"),
    ("cli",),
    ("plugin",),
)


def layer_of(module: str) -> int:
    rest = module.removeprefix(PACKAGE).removeprefix(".")
    top = rest.split(".")[0]
    for rank, names in enumerate(LAYERS):
        if top in names:
            return rank
    raise AssertionError(f"{module} is in no layer; add its folder to LAYERS in {__file__}")


def football_graph() -> dict[str, set[str]]:
    graph = import_graph("scrimmage")
    inside = {m for m in graph if m == PACKAGE or m.startswith(PACKAGE + ".")}
    return {m: graph[m] & inside for m in inside}


def test_every_module_has_a_layer():
    graph = football_graph()
    assert len(graph) > 40
    for module in graph:
        layer_of(module)


def test_no_import_cycle_in_football():
    graph = football_graph()
    found = [" -> ".join(path_between(graph, c)) for c in cycles(graph)]
    assert not found, "import cycles in scrimmage.football:\n" + "\n".join(found)


def test_no_module_imports_a_layer_above_its_own():
    graph = football_graph()
    upward = sorted(f"{m} (layer {'/'.join(LAYERS[layer_of(m)])}) imports {t} (layer {'/'.join(LAYERS[layer_of(t)])})"
                    for m, targets in graph.items() for t in targets if layer_of(t) > layer_of(m))
    assert not upward, "imports of a higher layer:\n" + "\n".join(upward)


def test_the_rule_catches_an_upward_import():
    """The check itself: a dataset importing the simulator is refused, a report importing a dataset is not."""
    assert layer_of("scrimmage.football.simulate.engine") > layer_of("scrimmage.football.datasets.games")
    assert layer_of("scrimmage.football.reports.pregame") > layer_of("scrimmage.football.datasets.games")
    assert layer_of("scrimmage.football.reports.pregame") == layer_of("scrimmage.football.predictors.games")
