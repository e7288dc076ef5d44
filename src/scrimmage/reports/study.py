"""``scrimmage report study NAME``: an Optuna study on one page.

Read with plain Optuna calls (``optuna.load_study``, ``study.trials_dataframe()``,
``optuna.importance.get_param_importances``) so the page works for any study in any storage, made
by ``scrimmage tune`` or not. Storage as ``scrimmage tune`` names it: none = the workdir's
``sqlite:///<workdir>/optuna.db``, ``journal`` = ``<workdir>/optuna-journal.log``, a path ending in
``.log`` = a journal file, else an SQLAlchemy URL. Opening never creates anything: a missing SQLite
or journal file is an error, not an empty store, and a database gets a short connect timeout.

Figures: the optimization history (every finished trial's value, pruned trials at their last
reported value, the best so far), parameter importance (Optuna's default fANOVA evaluator), parallel
coordinates (each parameter scaled to its range, categorical choices by index, lines coloured by value)
and the intermediate values per epoch (what the pruner saw).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from scrimmage.errors import ArgumentError, StoreError
from scrimmage.reports import page, plots
from scrimmage.tune.storage import open_store

TOP = 10


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def load(name: str, spec: str | None, workdir: Path) -> tuple[Any, str]:
    import optuna

    if not name or not name.strip():
        raise ArgumentError("report study needs a study name; list them with `optuna studies --storage URL`.")
    if spec is not None and not spec.strip():
        raise ArgumentError("--storage is empty; pass a database URL, a journal file ending in .log, or leave it out "
                            f"for the workdir's store (sqlite:///{workdir / 'optuna.db'}).")
    store = open_store(spec, workdir, create=False)  # the same storages `scrimmage tune` writes; never creates one
    storage, shown = store.storage, store.url
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)]
    except Exception as exc:
        raise StoreError(f"cannot read studies from {shown}: {_first_line(exc)}.") from None
    if name not in names:
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        listed = ", ".join(names[:20]) if names else "none"
        raise ArgumentError(f"no study '{name}' in {shown}.{hint} Studies there: {listed}.")
    return optuna.load_study(study_name=name, storage=storage), shown


def report_study(workdir: Path, name: str, out: str | Path, storage: str | None = None) -> dict[str, Any]:
    path = page.check_output(out)
    study, shown = load(name, storage, workdir)
    figures, notes, summary = study_figures(study)
    page.write_page(path, render(study, shown, figures, notes, summary))
    return {"study": name, "storage": shown, "html": str(path), "figures": [f.title for f in figures], "notes": notes} | summary


def _directions(study: Any) -> list[str]:
    return [d.name.lower() for d in study.directions]


def study_figures(study: Any) -> tuple[list[page.Figure], list[str], dict[str, Any]]:
    import optuna

    trials = study.get_trials(deepcopy=False)
    states = {}
    for trial in trials:
        states[trial.state.name.lower()] = states.get(trial.state.name.lower(), 0) + 1
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE and t.values]
    directions = _directions(study)
    summary: dict[str, Any] = {"trials": len(trials), "states": states, "directions": directions}
    notes: list[str] = []
    if len(directions) > 1:
        notes.append(f"{len(directions)} objectives: the figures show the first ({directions[0]}); the table lists the Pareto front")
    figures = []
    if trials:
        figures.append(history_figure(trials, directions[0]))
    else:
        notes.append("the study has no trials yet")
    if len(complete) >= 2 and len(directions) == 1:
        try:
            importances = optuna.importance.get_param_importances(study)
            if importances:
                figures.append(importance_figure(importances))
            summary["importance"] = {k: float(v) for k, v in importances.items()}
        except Exception as exc:  # e.g. a single distinct value per parameter
            notes.append(f"parameter importance unavailable: {_first_line(exc)}")
    elif complete:
        notes.append("parameter importance needs at least two complete trials")
    if len(complete) >= 2:
        parallel = parallel_figure(complete, directions[0])
        if parallel is not None:
            figures.append(parallel)
    intermediate = intermediate_figure(trials)
    if intermediate is not None:
        figures.append(intermediate)
    if complete and len(directions) == 1:
        summary["best_value"] = float(study.best_value)
        summary["best_trial"] = int(study.best_trial.number)
    return figures, notes, summary


def history_figure(trials: list[Any], direction: str) -> page.Figure:
    import optuna

    fig, ax = plots.new()
    done = [(t.number, t.values[0]) for t in trials if t.state == optuna.trial.TrialState.COMPLETE and t.values]
    pruned = [(t.number, t.intermediate_values[max(t.intermediate_values)]) for t in trials
              if t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values]
    if done:
        numbers, values = np.array(done, dtype=float).T
        ax.plot(numbers, values, "o", color=plots.COLORS[0], ms=4, label="complete trial")
        best = np.minimum.accumulate(values) if direction == "minimize" else np.maximum.accumulate(values)
        ax.step(numbers, best, where="post", color=plots.COLORS[1], lw=1.5, label="best so far")
    if pruned:
        numbers, values = np.array(pruned, dtype=float).T
        ax.plot(numbers, values, "x", color="#888", ms=5, label="pruned (last reported)")
    ax.set(xlabel="trial", ylabel="objective", title="optimization history")
    ax.xaxis.get_major_locator().set_params(integer=True)
    if done or pruned:
        ax.legend(fontsize=7)
    caption = f"{len(done)} complete and {len(pruned)} pruned trials; the objective is to {direction}"
    return plots.done(fig, "optimization history", caption, "optimization_history")


def importance_figure(importances: dict[str, float]) -> page.Figure:
    names = list(importances)[::-1]
    fig, ax = plots.new(plots.WIDTH, max(2.2, 0.9 + 0.35 * len(names)))
    ax.barh(names, [importances[n] for n in names], color=plots.COLORS[2])
    ax.set(xlabel="importance (share of the objective's variance)", title="parameter importance")
    ax.tick_params(axis="y", labelsize=8)
    caption = "fANOVA importance over the complete trials: how much of the objective's variation each parameter explains"
    return plots.done(fig, "parameter importance", caption, "param_importance")


def _scaled(values: list[Any]) -> tuple[np.ndarray, list[str]]:
    """A parameter's values on [0, 1] with tick labels: numbers by range (log when they span decades), choices by index."""
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v is not None)
    if numeric:
        x = np.array([np.nan if v is None else float(v) for v in values])
        finite = x[np.isfinite(x)]
        if len(finite) and finite.min() > 0 and finite.max() / finite.min() > 100:
            lo, hi = np.log10(finite.min()), np.log10(finite.max())
            return (np.log10(x) - lo) / (hi - lo or 1), [f"{finite.min():.2g}", f"{finite.max():.2g}"]
        lo, hi = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
        return (x - lo) / (hi - lo or 1), [f"{lo:.3g}", f"{hi:.3g}"]
    choices = list(dict.fromkeys(repr(v) if not isinstance(v, str) else v for v in values))
    index = {c: i for i, c in enumerate(choices)}
    x = np.array([index[repr(v) if not isinstance(v, str) else v] for v in values], dtype=float)
    return x / max(len(choices) - 1, 1), [choices[0], choices[-1]] if len(choices) > 1 else choices


def parallel_figure(complete: list[Any], direction: str) -> page.Figure | None:
    from matplotlib import cm, colors

    names = sorted({k for t in complete for k in t.params})
    if not names:
        return None
    columns = [_scaled([t.params.get(n) for t in complete]) for n in names]
    values = np.array([t.values[0] for t in complete])
    fig, ax = plots.new(max(plots.WIDTH, 1.6 + 1.1 * (len(names) + 1)), plots.HEIGHT + 0.4)
    norm = colors.Normalize(values.min(), values.max() if values.max() > values.min() else values.min() + 1)
    cmap = cm.viridis_r if direction == "minimize" else cm.viridis
    order = np.argsort(values if direction == "maximize" else -values)  # the best drawn last, on top
    span = values.max() - values.min() or 1.0
    for i in order:
        ys = [col[0][i] for col in columns] + [(values[i] - values.min()) / span]
        ax.plot(range(len(names) + 1), ys, color=cmap(norm(values[i])), alpha=0.75, lw=1.2)
    ax.set_xticks(range(len(names) + 1), [*names, "objective"], rotation=20, ha="right", fontsize=8)
    for j, (_, ticks) in enumerate([*columns, (None, [f"{values.min():.3g}", f"{values.max():.3g}"])]):
        if ticks:
            ax.annotate(str(ticks[0])[:14], (j, 0), xytext=(2, -2), textcoords="offset points", fontsize=6, va="top")
            ax.annotate(str(ticks[-1])[:14], (j, 1), xytext=(2, 2), textcoords="offset points", fontsize=6, va="bottom")
    ax.set(ylim=(-0.08, 1.08), yticks=[], title="parallel coordinates")
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.8, label="objective")
    caption = ("one line per complete trial; each axis runs from the parameter's lowest to highest tried value "
               "(log scale when it spans decades; choices by position); the best trials are drawn on top")
    return plots.done(fig, "parallel coordinates", caption, "parallel_coordinates")


def intermediate_figure(trials: list[Any]) -> page.Figure | None:

    shown = [t for t in trials if t.intermediate_values][:200]
    if not shown:
        return None
    fig, ax = plots.new()
    for t in shown:
        steps = sorted(t.intermediate_values)
        state = t.state.name.lower()
        color, style = {"complete": (plots.COLORS[0], "-"), "pruned": ("#999", "-")}.get(state, (plots.COLORS[3], "--"))
        ax.plot(steps, [t.intermediate_values[s] for s in steps], style, lw=0.9 if state == "pruned" else 1.3,
                color=color, alpha=0.6 if state == "pruned" else 0.9)
    ax.set(xlabel="step (epoch)", ylabel="reported value", title="intermediate values")
    caption = "what each trial reported per epoch to the pruner; blue: complete, grey: pruned, orange dashed: running or failed"
    return plots.done(fig, "intermediate values", caption, "intermediate_values")


def best_trials_table(study: Any) -> tuple[list[str], list[list[Any]]]:
    import optuna

    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE and t.values]
    directions = _directions(study)
    if len(directions) > 1:
        chosen = study.best_trials[:TOP]
    else:
        chosen = sorted(complete, key=lambda t: t.values[0], reverse=directions[0] == "maximize")[:TOP]
    names = sorted({k for t in chosen for k in t.params})
    taken = {"trial", "value", "epochs", "seconds", *names}
    attrs = sorted({k for t in chosen for k, v in t.user_attrs.items()
                    if k not in taken and isinstance(v, (int, float, str)) and len(str(v)) < 40})[:6]
    headers = ["trial", *(["value"] if len(directions) == 1 else [f"value {i}" for i in range(len(directions))]),
               "epochs", "seconds", *names, *attrs]
    rows = []
    for t in chosen:
        seconds = t.duration.total_seconds() if t.duration is not None else None
        epochs = max(t.intermediate_values) if t.intermediate_values else None
        rows.append([t.number, *t.values, epochs, seconds, *(t.params.get(n) for n in names), *(t.user_attrs.get(a) for a in attrs)])
    return headers, rows


def render(study: Any, shown: str, figures: list[page.Figure], notes: list[str], summary: dict[str, Any]) -> str:
    headers, rows = best_trials_table(study)
    pairs = [("study", study.study_name), ("storage", shown), ("objective", ", ".join(summary["directions"])),
             ("trials", summary["trials"]), *((f"  {k}", v) for k, v in sorted(summary["states"].items())),
             ("best value", summary.get("best_value")), ("best trial", summary.get("best_trial"))]
    pairs += [(f"attr {k}", v) for k, v in study.user_attrs.items() if isinstance(v, (int, float, str)) and len(str(v)) < 120]
    dashboard = (f"<p>Open it live: <code>pip install optuna-dashboard &amp;&amp; optuna-dashboard {page.esc(shown)}</code> "
                 "(the same storage: a database URL or the journal file)</p>")
    sections = [
        page.section("summary", page.key_values([(k, v) for k, v in pairs if v is not None]) + dashboard),
        page.section("figures", page.figures(figures) + page.notes(notes)),
        page.section(f"best trials (top {TOP})", page.table(headers, rows) if rows else '<p class="empty">no complete trial</p>'),
    ]
    subtitle = f"study <code>{page.esc(study.study_name)}</code> · {page.esc(shown)}"
    return page.document(f"scrimmage study report: {study.study_name}", subtitle, sections)
