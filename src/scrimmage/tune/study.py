"""``tune(config, trials=N)``: an Optuna study whose trials are ordinary runs of the engine.

Every trial goes through :func:`scrimmage.engine.run` (the one path to train) on one dataset built
once for the whole study (``run(data=bundle)``), skips the test split (``evaluate_test=False``:
the search must not see it), and is a nested MLflow run under the study's parent run. Its score is
the best value of the search metric over its epochs, which the trial's monitor watches too, so its
``best.ckpt`` holds exactly the weights that scored it. Pruning is an engine callback
(:class:`scrimmage.tune.pruning.OptunaPruning`); early stopping stays on inside trials.

Trial count (``--trials N``): N is the study's total, counted over every process and every
invocation: complete + pruned + failed trials, except failed ones that were re-queued (a killed
process's trial counts once, by its retry). Re-running the same command resumes the study and runs
only what is missing; several processes on one study stop when the total is reached (each may
finish the trial it is in, so a study can end a few trials over N).

A study remembers the recipe (resolved, without tracking options) and the search space it was made
with; a later call with another recipe or space under the same name is refused rather than mixing
incomparable trials. Trial run ids are ``<study>-<uid>-t<number>`` (uid: 4 hex digits fixed when
the study is made, so studies of the same name in different storages never share run folders). A
retried trial reuses its original's run id, so the engine resumes it from that run's
``last.ckpt`` (a trial killed at epoch 40 goes on from epoch 40, on this host).

At the end the best trial is kept: its run folder and checkpoint stay (other trials' checkpoint
files are deleted unless ``keep_checkpoints``), its checkpoint and config are registered in MLflow
as a model version named after the study, and it is written as a derived recipe,
``<workdir>/studies/<study>/best.yaml``, with the epochs it ran as ``trainer.epochs``; beside it
``summary.json`` and ``trials.csv`` (Optuna's ``trials_dataframe``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import socket
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from scrimmage.config.loader import config_to_dict, flatten
from scrimmage.config.schema import PrunerConfig, RunConfig, SearchConfig
from scrimmage.errors import (
    ArgumentError,
    ConfigError,
    RunPruned,
    ScrimmageError,
    StoreError,
    TrainingDiverged,
    TrainingInterrupted,
)
from scrimmage.io import atomic_write_text
from scrimmage.paths import runs_dir
from scrimmage.tune.space import check_space, decoded_params, search_metric, search_mode, suggest, trial_config
from scrimmage.tune.storage import StudyStore, discard_if_unused, open_store, reap_dead_trials, trial_owner

STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
STATE_NAMES = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running", "WAITING": "waiting"}
IGNORED_KEYS = ("tracking.", "trainer.threads", "trainer.session_budget")
"""Recipe keys a resumed study may change: they do not change what a trial learns."""


class TrialFailed(Exception):
    """A trial that could not give a score (diverged, a sampled config the run refused); the study goes on."""


def studies_dir(workdir: Path) -> Path:
    return workdir / "studies"


def check_study_name(name: str) -> str:
    if not isinstance(name, str) or not STUDY_NAME.match(name):
        raise ArgumentError(f"--study {name!r} is not a valid study name: use letters, digits, '.', '_' and '-' "
                            "(up to 100 characters, starting with a letter or digit).")
    return name


def default_study_name(recipe: str | None) -> str:
    stem = Path(recipe).stem if recipe else "study"
    name = re.sub(r"[^A-Za-z0-9._-]", "-", stem).lstrip("._-") or "study"
    return name[:100]


def build_pruner(pruner: PrunerConfig, max_epochs: int) -> Any:
    import optuna

    if pruner.name == "none":
        return optuna.pruners.NopPruner()
    if pruner.name == "hyperband":
        maximum = max_epochs if pruner.max_resource == "auto" else pruner.max_resource
        return optuna.pruners.HyperbandPruner(min_resource=pruner.min_resource, max_resource=maximum,
                                              reduction_factor=pruner.reduction_factor)
    if pruner.name == "threshold":
        return optuna.pruners.ThresholdPruner(lower=pruner.lower, upper=pruner.upper, n_warmup_steps=pruner.n_warmup_steps,
                                              interval_steps=pruner.interval_steps)
    median = optuna.pruners.MedianPruner(n_startup_trials=pruner.n_startup_trials, n_warmup_steps=pruner.n_warmup_steps,
                                         interval_steps=pruner.interval_steps, n_min_trials=pruner.n_min_trials)
    if pruner.name == "patient":
        return optuna.pruners.PatientPruner(median, patience=pruner.patience, min_delta=pruner.min_delta)
    return median


def build_sampler(search: SearchConfig, seed: int, parallel: bool) -> Any:
    import optuna

    if search.sampler.name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # constant_liar / multivariate
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=search.sampler.n_startup_trials,
                                          multivariate=search.sampler.multivariate, constant_liar=parallel)


def counted_trials(trials: list[Any]) -> int:
    """Trials that count toward ``--trials``: finished ones, minus failed ones a retry stands in for."""
    from optuna.trial import TrialState

    retried = {t.system_attrs.get("failed_trial") for t in trials} - {None}
    retried |= {n for t in trials for n in t.system_attrs.get("retry_history", [])}
    return sum(1 for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
               or (t.state == TrialState.FAIL and t.number not in retried))


def _identity(config: RunConfig) -> dict[str, Any]:
    """What makes two calls the same study: the recipe (minus options that do not change training) and the space."""
    raw = config_to_dict(config)
    search = raw.pop("search")
    flat = {k: v for k, v in flatten(raw).items() if not k.startswith(IGNORED_KEYS)}
    return {"recipe": flat, "search": search}


def _fingerprint(identity: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _check_same_study(study: Any, identity: dict[str, Any], name: str, store: StudyStore) -> None:
    saved = study.user_attrs.get("scrimmage.identity")
    if saved is None or _fingerprint(saved) == _fingerprint(identity):
        return
    if saved.get("search") != identity["search"]:
        what = "another search space"
    else:
        old, new = saved.get("recipe", {}), identity["recipe"]
        keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        what = f"another recipe (differs in {', '.join(keys[:5])}{' ...' if len(keys) > 5 else ''})"
    raise ArgumentError(f"study '{name}' in {store.url} was made with {what}; its trials would not be comparable. "
                        "Pass a new --study NAME, or the recipe and overrides it was made with.")


def tune(
    config: RunConfig,
    *,
    trials: int,
    recipe: str | None = None,
    workdir: Path,
    study_name: str | None = None,
    storage: str | None = None,
    timeout: float | None = None,
    n_jobs: int = 1,
    tracking_uri: str | None = None,
    keep_checkpoints: bool = False,
    print: Callable[[str], None] = lambda text: None,
    callbacks: list[Any] | None = None,
) -> dict[str, Any]:
    """Run (or resume) the study for ``config``'s ``search`` section until it holds ``trials`` trials.

    Everything that can be wrong (the search space, the trial count, the study name, the storage, a
    study of the same name made from another recipe, the tracking store, the dataset) is checked before
    the study is written into the storage, and a store file that this call created is removed again when
    it fails before that. Returns the study summary (see :func:`summarize`).
    ``callbacks`` are extra engine callbacks added to every trial (tests use them).
    """
    import optuna

    if not isinstance(trials, int) or isinstance(trials, bool) or trials < 1:
        raise ArgumentError(f"--trials must be a whole number of at least 1 (the study's total), got {trials!r}.")
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise ArgumentError(f"--n-jobs must be at least 1 (trials run at once in this process), got {n_jobs!r}.")
    if timeout is not None and not (timeout > 0 and math.isfinite(timeout)):
        raise ArgumentError(f"--timeout must be a positive number of seconds or a duration like 2h, got {timeout!r}.")
    check_space(config, recipe or "the recipe")
    search = config.search
    assert search is not None
    name = check_study_name(study_name if study_name is not None else default_study_name(recipe))
    metric, mode = search_metric(config), search_mode(config)
    identity = _identity(config)

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # our own line per trial; no tracebacks of failed trials
    store = open_store(storage, workdir, create=True,
                       heartbeat=(search.heartbeat_interval, search.grace_period, search.max_retry))
    try:
        return _tune(config, search, store, trials=trials, recipe=recipe, workdir=workdir, name=name, metric=metric,
                     mode=mode, identity=identity, timeout=timeout, n_jobs=n_jobs, tracking_uri=tracking_uri,
                     keep_checkpoints=keep_checkpoints, print=print, callbacks=callbacks)
    except BaseException:
        discard_if_unused(store)  # a first call that failed before its study existed leaves no empty store behind
        raise


def _tune(config: RunConfig, search: SearchConfig, store: StudyStore, *, trials: int, recipe: str | None, workdir: Path,
          name: str, metric: str, mode: str, identity: dict[str, Any], timeout: float | None, n_jobs: int,
          tracking_uri: str | None, keep_checkpoints: bool, print: Callable[[str], None],
          callbacks: list[Any] | None) -> dict[str, Any]:
    import optuna
    from optuna.trial import TrialState

    direction = "maximize" if mode == "max" else "minimize"
    study = None
    if name in optuna.get_all_study_names(store.storage):
        study = optuna.load_study(study_name=name, storage=store.storage)
        _check_same_study(study, identity, name, store)
        if study.direction.name.lower() != direction:
            raise ArgumentError(f"study '{name}' in {store.url} {study.direction.name.lower()}s its metric but the recipe "
                                f"asks to {direction} {metric}; pass a new --study NAME.")
    # The tracking store and the dataset are checked before a new study is written into the storage.
    started = time.perf_counter()
    tracker = bundle = None
    if study is None or counted_trials(study.get_trials(deepcopy=False)) < trials:
        tracker, bundle = _open_tracker(config, tracking_uri, workdir), config.data.build(workdir)
        _check_metric(config, bundle, metric)
    data_seconds = time.perf_counter() - started
    if study is None:
        try:
            study = optuna.create_study(study_name=name, storage=store.storage, direction=direction, load_if_exists=True)
        except Exception as exc:
            raise StoreError(f"cannot create study '{name}' in {store.url}: {str(exc).splitlines()[0]}") from None
        if "scrimmage.uid" not in study.user_attrs:  # a concurrent process may have made it first
            study.set_user_attr("scrimmage.uid", secrets.token_hex(2))
            study.set_user_attr("scrimmage.identity", identity)
            study.set_user_attr("scrimmage.metric", metric)
            study.set_user_attr("scrimmage.recipe", recipe or "")
        _check_same_study(study, identity, name, store)
    uid = study.user_attrs["scrimmage.uid"]

    reaped = reap_dead_trials(study, search.max_retry)
    if reaped:
        print(f"trials {', '.join(map(str, reaped))} of study {name} lost their process (killed); re-queued with their values")
    done_before = counted_trials(study.get_trials(deepcopy=False))
    parallel = n_jobs > 1 or store.kind != "sqlite"
    base_seed = search.sampler.seed if search.sampler.seed is not None else config.trainer.seed
    seed = base_seed + done_before
    if parallel:  # processes sharing the study must not draw the same random start-up points
        seed = int.from_bytes(hashlib.sha256(f"{base_seed}:{done_before}:{socket.gethostname()}:{os.getpid()}".encode()).digest()[:4], "big")
    study.sampler = build_sampler(search, seed, parallel)
    study.pruner = build_pruner(search.pruner, config.trainer.epochs)

    remaining = trials - done_before
    interrupted: list[int] = []
    if remaining > 0:
        print(f"study {name} in {store.url}: {done_before} trial(s) done, running {remaining} more "
              f"({direction} {metric}; pruner {search.pruner.name}; sampler {search.sampler.name}"
              f"{', constant liar' if parallel and search.sampler.name == 'tpe' else ''})")
        if bundle is None:  # reaping re-queued trials of a study that looked complete
            tracker, bundle = _open_tracker(config, tracking_uri, workdir), config.data.build(workdir)
        if tracker is not None:
            _start_parent(tracker, config, study, name, store, bundle.info)
        parent = tracker.run_id if tracker is not None else None
        objective = _Objective(config, search, bundle, name, uid, workdir, parent, tracking_uri, callbacks or [],
                               interrupted, metric, recipe)
        lock = threading.Lock()

        def after_trial(study: Any, trial: Any) -> None:
            with lock:
                _print_trial(print, study, trial, metric)
                if counted_trials(study.get_trials(deepcopy=False)) >= trials:
                    study.stop()

        status = "KILLED"
        try:
            study.optimize(objective, n_trials=remaining, timeout=timeout, n_jobs=n_jobs, catch=(TrialFailed,),
                           callbacks=[after_trial])
            status = "FINISHED"
        except TrainingInterrupted as exc:
            _requeue(study, interrupted, search.max_retry)
            raise TrainingInterrupted(f"study {name} interrupted ({exc.args[0].split(';')[0]}); trial(s) "
                                      f"{', '.join(map(str, interrupted)) or '-'} re-queued. Continue with the same "
                                      "command.", exit_code=exc.exit_code) from None
        except BaseException:
            status = "FAILED"
            raise
        finally:
            if tracker is not None:
                try:
                    tracker.end(status)
                except Exception:  # the store may be what failed; the study's own error is what matters
                    pass
    else:
        print(f"study {name} in {store.url} already holds {done_before} trial(s) (--trials {trials}); nothing to run")
    summary = summarize(study, search, store, workdir, metric=metric, seconds=time.perf_counter() - started)
    summary["data_seconds"] = round(data_seconds, 3)
    if summary["best"] is not None:
        _keep_best(study, summary, config, workdir, keep_checkpoints, print)
    elif not any(t.state == TrialState.RUNNING for t in study.get_trials(deepcopy=False)):
        summary["notes"].append("no trial completed, so there is no best trial; look at the failed trials' errors "
                                "(summary trials[].error)")
    _write_study_files(study, summary, workdir)
    return summary


def _check_metric(config: RunConfig, bundle: Any, metric: str) -> None:
    """The search metric is one the task computes (named now, not by a failed first trial)."""
    from scrimmage.config.schema import LOOP_METRICS
    from scrimmage.engine.runner import check_monitored

    try:
        check_monitored(metric, [*LOOP_METRICS, *config.task.build(bundle.spec).metric_names("val")])
    except ConfigError as exc:
        raise ConfigError(f"search.metric: {exc}") from None


class _Objective:
    """One trial: sample, build the trial's config, run it on the shared data, score it."""

    def __init__(self, config: RunConfig, search: SearchConfig, bundle: Any, study: str, uid: str, workdir: Path,
                 parent: str | None, tracking_uri: str | None, callbacks: list[Any], interrupted: list[int],
                 metric: str, recipe: str | None = None):
        self.recipe = recipe
        self.config, self.search, self.bundle, self.study, self.uid = config, search, bundle, study, uid
        self.workdir, self.parent, self.tracking_uri, self.callbacks = workdir, parent, tracking_uri, callbacks
        self.interrupted, self.metric = interrupted, metric

    def __call__(self, trial: Any) -> float:
        from scrimmage.engine import run
        from scrimmage.tune.pruning import OptunaPruning

        started = time.perf_counter()
        frozen = trial.study._storage.get_trial(trial._trial_id)
        retried = frozen.system_attrs.get("failed_trial") is not None
        # a retry inherits its original's user attributes: it continues that trial's run (and its last.ckpt)
        run_id = frozen.user_attrs.get("run_id") if retried else None
        run_id = run_id or f"{self.study}-{self.uid}-t{trial.number:04d}"
        for key, value in {**trial_owner(), "run_id": run_id, "error": None}.items():
            trial.set_user_attr(key, value)
        values = suggest(trial, self.search.params)
        try:
            config = trial_config(self.config, self.search, values, f"trial {trial.number}")
        except ConfigError as exc:
            trial.set_user_attr("error", str(exc))
            raise TrialFailed(str(exc)) from None
        config.tracking.experiment_type = "HPO"
        config.tracking.tags = {**config.tracking.tags, "study": self.study, "trial_number": str(trial.number)}
        pruning = OptunaPruning(trial, self.metric)
        finished = runs_dir(self.workdir) / run_id / "result.json"
        try:
            if finished.is_file():  # its process died after the run finished but before the study heard of it
                result = json.loads(finished.read_text())
                best, epochs, seconds = result["best"], result["epochs_completed"], result["seconds"]
            else:
                outcome = run(config, workdir=self.workdir, recipe=self.recipe, run_id=run_id, data=self.bundle, evaluate_test=False,
                              parent_run=self.parent, tracking_uri=self.tracking_uri, progress=False,
                              callbacks=[*self.callbacks, pruning])
                best, epochs, seconds = outcome.best, outcome.epochs_completed, outcome.seconds
        except RunPruned:
            trial.set_user_attr("epochs", pruning.pruned_at or max(pruning.reported, default=0))
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
            import optuna

            raise optuna.TrialPruned(f"pruned at epoch {pruning.pruned_at}") from None
        except TrainingInterrupted:
            trial.set_user_attr("error", "interrupted (Ctrl-C or SIGTERM); re-queued")
            self.interrupted.append(trial.number)
            raise
        except (TrainingDiverged, ScrimmageError) as exc:
            trial.set_user_attr("epochs", max(pruning.reported, default=0))
            trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
            trial.set_user_attr("error", str(exc))
            if not isinstance(exc, TrainingDiverged) and not _any_complete(trial.study):
                raise  # the first trials all fail the same way: a problem of the recipe or data, not of these values
            raise TrialFailed(str(exc)) from None
        trial.set_user_attr("epochs", int(epochs))
        trial.set_user_attr("best_epoch", best.get("epoch"))
        trial.set_user_attr("seconds", round(time.perf_counter() - started, 3))
        trial.set_user_attr("run_seconds", round(float(seconds), 3))
        if best.get("value") is None:
            message = f"{self.metric} was never finite in {epochs} epoch(s)"
            trial.set_user_attr("error", message)
            raise TrialFailed(message)
        return float(best["value"])


def _any_complete(study: Any) -> bool:
    from optuna.trial import TrialState

    return bool(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def _requeue(study: Any, numbers: list[int], max_retry: int) -> None:
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # experimental in Optuna 5
        retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.FAIL,)):
        if trial.number in numbers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                retry(study, trial)


def _open_tracker(config: RunConfig, tracking_uri: str | None, workdir: Path) -> Any:
    """The MLflow store the study's parent run goes to, checked (reachable, experiment usable); no run yet."""
    if not config.tracking.enabled:
        return None
    from scrimmage.tracking.mlflow_tracker import MlflowTracker, default_tracking_uri

    if not (tracking_uri or config.tracking.uri):
        workdir.mkdir(parents=True, exist_ok=True)  # the default store lives in the workdir
    return MlflowTracker(tracking_uri or config.tracking.uri or default_tracking_uri(workdir), config.tracking.experiment,
                         workdir / "mlartifacts")


def _start_parent(tracker: Any, config: RunConfig, study: Any, name: str, store: StudyStore, info: dict[str, Any]) -> None:
    """The study's MLflow run (created once, reused on resume when the tracking store is the same)."""
    saved = study.user_attrs.get("scrimmage.mlflow_parent") or {}
    if saved.get("uri") == tracker.uri and saved.get("run_id"):
        tracker.start(f"study-{name}", {}, resume_run_id=saved["run_id"])
        return
    dataset_version = config.tracking.dataset_version
    if dataset_version == "auto":
        dataset_version = str(info.get("dataset_version", "unknown"))
    tags = {"experiment_type": "HPO", "study": name, "model_type": config.model.name, "task": config.task.name,
            "dataset": config.data.name, "dataset_version": dataset_version, "study_storage": store.url,
            **config.tracking.tags}
    run_id = tracker.start(f"study-{name}", tags)
    assert config.search is not None
    tracker.log_text(yaml.safe_dump(config.search.model_dump(mode="json"), sort_keys=False), "search.yaml")
    study.set_user_attr("scrimmage.mlflow_parent", {"uri": tracker.uri, "run_id": run_id})


def _print_trial(print: Callable[[str], None], study: Any, trial: Any, metric: str) -> None:
    from optuna.trial import TrialState

    epochs = trial.user_attrs.get("epochs")
    if trial.state == TrialState.COMPLETE:
        line = f"trial {trial.number} complete: {metric} {trial.value:.4f} ({epochs} epochs)"
    elif trial.state == TrialState.PRUNED:
        line = f"trial {trial.number} pruned at epoch {epochs}"
    else:
        line = f"trial {trial.number} failed: {trial.user_attrs.get('error') or 'see its run'}"
    try:
        best = study.best_trial
        line += f"; best {best.value:.4f} (trial {best.number})"
    except ValueError:  # no complete trial yet
        pass
    print(line)


def summarize(study: Any, search: SearchConfig | None, store: StudyStore, workdir: Path, *, metric: str | None = None,
              seconds: float = 0.0) -> dict[str, Any]:
    """Trials by state, the best trial (value, values, run, epochs), parameter importance, epochs spent."""
    import optuna
    from optuna.trial import TrialState

    all_trials = study.get_trials(deepcopy=False)
    states = {state: sum(1 for t in all_trials if t.state == state) for state in TrialState}
    notes: list[str] = []
    best = None
    try:
        trial = study.best_trial
    except ValueError:
        trial = None
    if trial is not None:
        params = decoded_params(trial.params, search) if search is not None else trial.params
        run_id = trial.user_attrs.get("run_id")
        best = {"trial": trial.number, "value": trial.value, "params": params, "stored_params": trial.params,
                "run_id": run_id, "run_dir": str(runs_dir(workdir) / run_id) if run_id else None,
                "epochs": trial.user_attrs.get("epochs"), "best_epoch": trial.user_attrs.get("best_epoch")}
    importance: dict[str, float] | None = None
    if states[TrialState.COMPLETE] >= 2:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                importance = {k: float(v) for k, v in optuna.importance.get_param_importances(study).items()}
        except Exception as exc:  # too few distinct trials, a constant parameter ...
            notes.append(f"parameter importance not available: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    else:
        notes.append("parameter importance needs at least 2 complete trials")
    epochs = sum(int(t.user_attrs.get("epochs") or 0) for t in all_trials)
    trials = [{"number": t.number, "state": STATE_NAMES[t.state.name], "value": t.value,
               "params": decoded_params(t.params, search) if search is not None else t.params,
               "epochs": t.user_attrs.get("epochs"), "seconds": t.user_attrs.get("seconds"),
               "run_id": t.user_attrs.get("run_id"),
               "error": t.user_attrs.get("error"), "retry_of": t.system_attrs.get("failed_trial")}
              for t in all_trials]
    history = []
    running_best = None
    for t in all_trials:
        if t.state == TrialState.COMPLETE and t.value is not None:
            if running_best is None or (t.value > running_best if study.direction.name == "MAXIMIZE" else t.value < running_best):
                running_best = t.value
        history.append({"number": t.number, "value": t.value, "best_so_far": running_best})
    return {
        "study": study.study_name,
        "storage": store.url,
        "direction": study.direction.name.lower(),
        "metric": metric or study.user_attrs.get("scrimmage.metric"),
        "trials": {"total": len(all_trials), "counted": counted_trials(all_trials),
                   "complete": states[TrialState.COMPLETE], "pruned": states[TrialState.PRUNED],
                   "failed": states[TrialState.FAIL], "running": states[TrialState.RUNNING],
                   "waiting": states[TrialState.WAITING]},
        "best": best,
        "importance": importance,
        "epochs_spent": epochs,
        "seconds": round(seconds, 3),
        "history": history,
        "trial_list": trials,
        "notes": notes,
    }


def _keep_best(study: Any, summary: dict[str, Any], config: RunConfig, workdir: Path, keep_checkpoints: bool,
               print: Callable[[str], None]) -> None:
    """The best trial as a derived recipe; its checkpoint registered; other trials' checkpoint files removed."""
    from optuna.trial import TrialState

    best = summary["best"]
    folder = Path(best["run_dir"]) if best["run_dir"] else None
    if folder is None or not (folder / "config.yaml").is_file():
        summary["notes"].append(f"the best trial's run folder {folder} is not on this machine; its recipe and checkpoint "
                                "live where it ran")
        return
    recipe = yaml.safe_load((folder / "config.yaml").read_text())
    recipe.pop("search", None)
    if best.get("epochs"):
        recipe.setdefault("trainer", {})["epochs"] = int(best["epochs"])
    tracking = recipe.setdefault("tracking", {})
    tracking["experiment_type"] = "train"
    tags = {k: v for k, v in (tracking.get("tags") or {}).items() if k not in ("study", "trial_number")}
    tracking["tags"] = tags | {"derived_from": f"study {study.study_name} trial {best['trial']}"}
    header = (f"# Derived from study {study.study_name} ({summary['storage']}): trial {best['trial']}, "
              f"{summary['metric']} {best['value']:.6g} (best epoch {best.get('best_epoch')}).\n"
              f"# trainer.epochs = the {best.get('epochs')} epochs the trial ran; its checkpoint: "
              f"{folder / 'checkpoints'}\n")
    path = studies_dir(workdir) / study.study_name / "best.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, header + yaml.safe_dump(recipe, sort_keys=False))
    summary["best"]["recipe"] = str(path)
    checkpoint = _checkpoint_of(folder)
    summary["best"]["checkpoint"] = str(checkpoint) if checkpoint else None
    if config.tracking.enabled and checkpoint is not None:
        summary["best"]["registered"] = _register(study, best, folder, checkpoint, path, summary)
    if not keep_checkpoints:
        removed = 0
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)):
            run_id = trial.user_attrs.get("run_id")
            if not run_id or run_id == best["run_id"]:
                continue
            for file in (runs_dir(workdir) / run_id / "checkpoints").glob("*.ckpt"):
                file.unlink(missing_ok=True)
                removed += 1
        if removed:
            summary["notes"].append(f"removed {removed} checkpoint file(s) of trials other than the best "
                                    "(--keep-checkpoints keeps them)")


def _checkpoint_of(folder: Path) -> Path | None:
    try:
        meta = json.loads((folder / "run.json").read_text())
    except (OSError, ValueError):
        meta = {}
    names = [(meta.get("model_checkpoint") or {}).get("file"), "best.ckpt", "last.ckpt"]
    for name in names:
        if name and (folder / "checkpoints" / name).is_file():
            return folder / "checkpoints" / name
    return None


def _register(study: Any, best: dict[str, Any], folder: Path, checkpoint: Path, recipe: Path,
              summary: dict[str, Any]) -> dict[str, Any] | None:
    """Log the best trial's checkpoint and config to its MLflow run and register them as a model version."""
    registered = study.user_attrs.get("scrimmage.registered") or {}
    if registered.get("trial") == best["trial"]:
        return registered
    try:
        meta = json.loads((folder / "run.json").read_text())
        mlflow_run, uri = meta.get("mlflow_run_id"), meta.get("tracking_uri")
        if not mlflow_run or not uri:
            return None
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        client.log_artifact(mlflow_run, str(checkpoint), "model")
        client.log_artifact(mlflow_run, str(folder / "config.yaml"), "model")
        client.log_artifact(mlflow_run, str(recipe), "model")
        name = f"scrimmage-{study.study_name}"
        try:
            client.get_registered_model(name)
        except Exception:
            client.create_registered_model(name, description=f"Best trials of study {study.study_name}")
        version = client.create_model_version(
            name, source=f"{client.get_run(mlflow_run).info.artifact_uri}/model", run_id=mlflow_run,
            tags={"trial_number": str(best["trial"]), "value": str(best["value"]), "metric": str(summary["metric"]),
                  "scrimmage.run_id": str(best["run_id"])})
        parent = (study.user_attrs.get("scrimmage.mlflow_parent") or {}).get("run_id")
        if parent:
            client.set_tag(parent, "best_trial", str(best["trial"]))
            client.set_tag(parent, "best_run_id", str(best["run_id"]))
            client.log_metric(parent, "best_value", float(best["value"]))
        registered = {"model": name, "version": int(version.version), "trial": best["trial"]}
        study.set_user_attr("scrimmage.registered", registered)
        return registered
    except Exception as exc:  # the study is done; a registry hiccup is a note, not a failure
        summary["notes"].append(f"could not register the best checkpoint in MLflow: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
        return None


def _write_study_files(study: Any, summary: dict[str, Any], workdir: Path) -> None:
    folder = studies_dir(workdir) / study.study_name
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(folder / "summary.json", json.dumps(summary, indent=2, default=str))
    try:
        frame = study.trials_dataframe()
        atomic_write_text(folder / "trials.csv", frame.to_csv(index=False))
    except Exception:  # an empty study has no frame worth writing
        pass


def load_study_summary(name: str, *, workdir: Path, storage: str | None) -> tuple[Any, dict[str, Any], StudyStore]:
    """An existing study (never created) and its summary; a clear error naming the studies that do exist."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    store = open_store(storage, workdir, create=False)
    names = sorted(optuna.get_all_study_names(store.storage))
    if name not in names:
        raise ArgumentError(f"no study '{name}' in {store.url}; studies there: {', '.join(names) or 'none'}. "
                            "Pass the --storage the study was made with.")
    study = optuna.load_study(study_name=name, storage=store.storage)
    return study, summarize(study, saved_search(study), store, workdir), store


def saved_search(study: Any) -> SearchConfig | None:
    """The search section a study was made with (to decode its stored values), when it was made by scrimmage."""
    saved = (study.user_attrs.get("scrimmage.identity") or {}).get("search")
    try:
        return SearchConfig.model_validate(saved) if saved else None
    except Exception:  # made by another scrimmage version: values shown as stored
        return None
