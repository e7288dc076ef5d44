"""Training alerts (``callbacks: [{name: alerts, ...}]``): say when training goes wrong, without stopping it.

Rules, each optional (null turns it off):

- ``worse_than_best``: ``monitor.metric`` is worse than its best so far by more than this.
- ``metric_drops``: ``[{metric, drop, mode}]``: a named validation metric is more than ``drop`` from its
  best so far, the bad way (``mode: max``: higher is better, a fall is bad; ``min``: a rise is bad).
- ``no_improvement_minutes``: ``monitor.metric`` has not improved for this many minutes of training
  time (counted from the start of training, checked once a validation has happened).
- ``grad_norm_above``: the gradient norm before clipping (``LoopState.grad_norm``) exceeds this at an
  optimizer step.

An alert **fires** when its condition becomes true and fires again only after the condition has
cleared: a metric that stays bad for ten epochs is one alert, not ten. When one fires it is printed
(``ALERT <kind>: ...``, through ``Context.print``) and its running count is logged through
``Context.log`` as ``alerts/<kind>`` (step: the 1-based epoch, like every epoch metric); counts of every
enabled rule are logged (zeros included) at the start of training, so the tracker's final values are
the run's totals. At the end a one-line summary is printed. Kinds: ``worse_than_best``,
``no_improvement``, ``grad_norm``, and ``metric_drop_<metric>`` (``/`` in the name written ``_``).

Validation values that are not finite are skipped (they neither set a best nor change an alert);
a gradient norm that is not finite fires ``grad_norm``. A ``metric_drops`` metric the run never reports
is said once, at the first validation (and refused up front when the task names its metrics).

**Resume.** Bests, the training time at the last improvement, the time trained so far, the fired
flags, the counts and the most recent events are this callback's state in every checkpoint. Time is
training time: the clock restarts at each session's start and adds to what the checkpoint held, so
the gap between a stop and its resume does not count.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from time import monotonic
from typing import Any

from scrimmage.engine.callbacks.early_stopping import is_improvement
from scrimmage.engine.events import Callback, Context, LoopState

MAX_EVENTS = 100
"""Events kept in the state (the most recent); the counts cover every alert."""


def drop_kind(metric: str) -> str:
    return "metric_drop_" + metric.replace("/", "_")


def gap_from_best(value: float, best: float, mode: str) -> float:
    """How far ``value`` is from ``best`` the bad way (negative or zero when it is as good or better)."""
    return value - best if mode == "min" else best - value


class Alerts(Callback):
    name = "alerts"

    def __init__(
        self,
        metric: str,
        mode: str,
        *,
        worse_than_best: float | None = None,
        metric_drops: Sequence[tuple[str, float, str]] = (),
        no_improvement_minutes: float | None = None,
        grad_norm_above: float | None = None,
        clock: Callable[[], float] = monotonic,
    ):
        self.metric, self.mode = metric, mode
        self.worse_than_best = worse_than_best
        self.drops = [(str(m), float(d), str(dm)) for m, d, dm in metric_drops]
        self.minutes = no_improvement_minutes
        self.grad_norm_above = grad_norm_above
        self.clock = clock
        self.kinds = [kind for kind, on in (("worse_than_best", worse_than_best is not None),
                                            ("no_improvement", no_improvement_minutes is not None),
                                            ("grad_norm", grad_norm_above is not None)) if on]
        self.kinds += [drop_kind(m) for m, _, _ in self.drops]
        # resumable state (see state_dict)
        self.best: float | None = None
        self.best_epoch = 0
        self.drop_best: dict[str, float | None] = {m: None for m, _, _ in self.drops}
        self.drop_best_epoch: dict[str, int] = {m: 0 for m, _, _ in self.drops}
        self.validations = 0
        self.improved_at = 0.0  # training seconds at the last improvement of the monitored metric
        self.seconds_before = 0.0  # training seconds of earlier sessions
        self.active: dict[str, bool] = {kind: False for kind in self.kinds}
        self.counts: dict[str, int] = {kind: 0 for kind in self.kinds}
        self.events: list[dict[str, Any]] = []
        self.reported: list[str] = []  # one-time notices already given (missing metrics, no grad norm)
        self.started = self.clock()

    @classmethod
    def from_config(cls, options: Any, config: Any) -> Alerts:
        return cls(
            config.monitor.metric, config.monitor.mode, worse_than_best=options.worse_than_best,
            metric_drops=[(rule.metric, rule.drop, rule.mode) for rule in options.metric_drops or []],
            no_improvement_minutes=options.no_improvement_minutes, grad_norm_above=options.grad_norm_above,
        )

    def seconds(self) -> float:
        """Training time so far, over every session."""
        return self.seconds_before + (self.clock() - self.started)

    # ---- events ------------------------------------------------------------------------
    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        self.started = self.clock()
        if self.grad_norm_above is not None:
            state.want_grad_norm = True
        if self.counts:
            ctx.log({f"alerts/{kind}": float(count) for kind, count in self.counts.items()}, state.epoch)

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        if self.grad_norm_above is not None:
            if state.grad_norm is None:
                self._notice(ctx, "no_grad_norm", "alerts: grad_norm_above is set but the training loop reports no "
                                                  "gradient norm; that rule cannot fire")
            else:
                norm = float(state.grad_norm)  # a host sync on an accelerator
                limit = self.grad_norm_above
                self._update("grad_norm", not math.isfinite(norm) or norm > limit, state, ctx, state.epoch + 1,
                             lambda: f"gradient norm {norm:.4g} (before clipping) above {limit:g} at epoch "
                                     f"{state.epoch + 1}, step {state.global_step}")
        if self.minutes is not None:
            self._check_minutes(state, ctx, state.epoch + 1)

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        metrics, epoch = state.metrics, int(state.metrics["epoch"])
        self.validations += 1
        value = metrics.get(self.metric, float("nan"))
        if math.isfinite(value):
            if is_improvement(value, self.best, self.mode, 0.0):
                self.best, self.best_epoch, self.improved_at = value, epoch, self.seconds()
            if self.worse_than_best is not None and self.best is not None:
                gap, best, best_epoch, limit = gap_from_best(value, self.best, self.mode), self.best, self.best_epoch, self.worse_than_best
                self._update("worse_than_best", gap > limit, state, ctx, epoch,
                             lambda: f"{self.metric} {value:.4g} at epoch {epoch} is {gap:.4g} worse than its best "
                                     f"{best:.4g} (epoch {best_epoch}); threshold {limit:g}")
        for metric, drop, mode in self.drops:
            self._check_drop(metric, drop, mode, state, ctx, epoch)
        if self.minutes is not None:
            self._check_minutes(state, ctx, epoch)

    def on_fit_end(self, state: LoopState, ctx: Context) -> None:
        fired = {kind: count for kind, count in self.counts.items() if count}
        if fired:
            ctx.print(f"alerts: {sum(fired.values())} raised ("
                      + ", ".join(f"{kind} {count}" for kind, count in fired.items()) + ")")
        else:
            ctx.print("alerts: none raised")

    # ---- rules -------------------------------------------------------------------------
    def _check_drop(self, metric: str, drop: float, mode: str, state: LoopState, ctx: Context, epoch: int) -> None:
        if metric not in state.metrics:
            known = sorted(k for k in state.metrics if k.startswith("val/"))
            self._notice(ctx, f"missing:{metric}", f"alerts: metric_drops names '{metric}' but this run does not "
                                                   f"report it, so that rule never fires; validation metrics: {', '.join(known)}")
            return
        value = state.metrics[metric]
        if not math.isfinite(value):
            return
        if is_improvement(value, self.drop_best[metric], mode, 0.0):
            self.drop_best[metric], self.drop_best_epoch[metric] = value, epoch
        best, best_epoch = self.drop_best[metric], self.drop_best_epoch[metric]
        assert best is not None
        gap = gap_from_best(value, best, mode)
        way = "fell" if mode == "max" else "rose"
        self._update(drop_kind(metric), gap > drop, state, ctx, epoch,
                     lambda: f"{metric} {value:.4g} at epoch {epoch} {way} {gap:.4g} from its best {best:.4g} "
                             f"(epoch {best_epoch}); threshold {drop:g}")

    def _check_minutes(self, state: LoopState, ctx: Context, epoch: int) -> None:
        assert self.minutes is not None
        if not self.validations:
            return  # nothing measured yet: a long first epoch is not a stall
        stalled, limit = self.seconds() - self.improved_at, self.minutes

        def describe() -> str:
            best = f"best {self.best:.4g} at epoch {self.best_epoch}" if self.best is not None else "never finite"
            return f"{self.metric} has not improved for {stalled / 60:.1f} minutes of training ({best}); threshold {limit:g} minutes"

        self._update("no_improvement", stalled > 60 * limit, state, ctx, epoch, describe)

    # ---- firing ------------------------------------------------------------------------
    def _update(self, kind: str, condition: bool, state: LoopState, ctx: Context, epoch: int,
                describe: Callable[[], str]) -> None:
        """Fire ``kind`` when ``condition`` becomes true; re-arm it when the condition clears."""
        if not condition:
            self.active[kind] = False
            return
        if self.active[kind]:
            return
        self.active[kind] = True
        self.counts[kind] += 1
        message = describe()
        self.events.append({"kind": kind, "epoch": epoch, "step": state.global_step,
                            "seconds": round(self.seconds(), 3), "message": message})
        del self.events[:-MAX_EVENTS]
        ctx.print(f"ALERT {kind}: {message}")
        ctx.log({f"alerts/{kind}": float(self.counts[kind])}, epoch)

    def _notice(self, ctx: Context, key: str, text: str) -> None:
        if key not in self.reported:
            self.reported.append(key)
            ctx.print(text)

    def result_section(self) -> dict[str, Any]:
        """``alerts`` in the run's result: counts by kind and the last events."""
        return {"raised": sum(self.counts.values()), "counts": dict(self.counts),
                "events": [dict(event) for event in self.events[-20:]]}

    # ---- resumable state ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best, "best_epoch": self.best_epoch,
            "drop_best": dict(self.drop_best), "drop_best_epoch": dict(self.drop_best_epoch),
            "validations": self.validations, "improved_at": self.improved_at, "seconds": self.seconds(),
            "active": dict(self.active), "counts": dict(self.counts),
            "events": [dict(event) for event in self.events], "reported": list(self.reported),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a checkpoint's state; rules added or removed since then start fresh or are dropped."""
        if not state:
            return
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        for metric in self.drop_best:
            if metric in state["drop_best"]:
                self.drop_best[metric] = state["drop_best"][metric]
                self.drop_best_epoch[metric] = int(state["drop_best_epoch"][metric])
        self.validations, self.improved_at = int(state["validations"]), float(state["improved_at"])
        self.seconds_before, self.started = float(state["seconds"]), self.clock()
        for kind in self.kinds:
            self.active[kind] = bool(state["active"].get(kind, False))
            self.counts[kind] = int(state["counts"].get(kind, 0))
        self.events = [dict(event) for event in state["events"]]
        self.reported = list(state["reported"])
