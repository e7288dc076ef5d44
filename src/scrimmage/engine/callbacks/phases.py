"""Curriculum phases: train in a sequence of phases, each with its own length, loss weights, LR
schedule, batch size and patience (``callbacks: [{name: phases, phases: [...]}]``).

**Length.** Exactly one of ``epochs``, ``steps`` (optimizer steps) or ``minutes`` (wall time).
A steps or minutes phase may end mid-epoch; the next phase starts at the next optimizer step, and
that epoch's validation counts for the new phase. An epochs phase ends at its N-th epoch end (when
it began mid-epoch, that partial epoch is its first). A phase whose steps or minutes run out on the
last step of an epoch ends at that epoch's end, after the validation of the epoch it trained. When
the last phase ends the run stops (mid-epoch if need be: the loop then validates and stops);
``trainer.epochs`` still caps the run.

**Learning rate (one documented rule).** The run's scheduler must be ``constant``; this callback
sets every parameter group's LR before each optimizer step. With ``k`` the optimizer steps already
taken in the phase, ``W`` = ``warmup_steps`` and ``D`` = ``decay_steps``::

    k < W          lr = initial + (peak - initial) * k / W                  (linear warmup)
    W <= k < W+D   lr = final + (peak - final) * (1 + cos(pi * (k - W) / D)) / 2   (cosine decay)
    k >= W+D       lr = final                                               (hold)

``peak`` defaults to ``optim.lr``, ``initial`` and ``final`` to ``peak``. Where a table is
inconsistent, the phase's own rates win: nothing carries over from the phase before (a phase starts
at its own ``initial`` whatever the last LR was), an ``initial`` above ``peak`` is taken as written
(the warmup then falls to the peak), a phase longer than ``W + D`` holds ``final`` after the
decay, and a phase shorter than ``W + D`` ends part-way through its schedule.

**Optimizer.** One optimizer for the whole run: a phase changes the LR, never the optimizer's
state. Restarting Adam at each phase (as the original did) throws away its moment estimates, the
per-parameter curvature it has learned, and the first steps of every phase then take steps scaled
by a cold second moment; a warm restart after a resume is unnecessary because checkpoints hold
the optimizer state, so a resumed run continues exactly as if it had not stopped.

**Loss weights.** Each phase's ``loss_weights`` go to the task's ``set_loss_weights`` (a ``LossWeighted`` task)
(regression: per target; names the phase leaves out keep the loss's own weights, so every phase's
weights are its own, not the previous phase's). Unknown names are config errors: at load time when
the dataset declares its targets, otherwise when the task is built, before anything is written.

**Batch size.** The loop's data order keeps one batch size per epoch (its resumable position
counts batches), so a phase's ``batch_size`` takes effect from the first epoch that *starts* in
the phase; a phase that begins mid-epoch finishes that epoch at the previous size.

**Early stopping.** ``patience`` (the callback's, or a phase's own) ends the current phase, not
the run, at the end of the ``patience``-th consecutive epoch without improvement of ``monitor.metric``
(by more than ``min_delta``), the rule of the ``early_stopping`` callback: patience 2, best at the
phase's epoch 3, epochs 4 and 5 worse, the phase ends after epoch 5; patience 0 and 1 both end it at
the first epoch that does not improve. Its counters reset at each phase, and the phase's first
epoch is its first best. A recipe's ``early_stopping`` callback still ends the whole run.

**Checkpoints and resume.** At the end of each phase ``phase=NN-NAME.ckpt`` is written (and
last.ckpt refreshed) by the checkpoint callback, atomically, holding the next phase's start. The
phase index, the position in the phase (steps, epochs, seconds), the patience counters, the pending
end and the per-epoch validation history are this callback's state in every checkpoint, so
``--resume`` continues inside the phase it stopped in, with its loss weights, LR position and batch
size. Minutes phases resume with the time already spent but cannot be reproduced exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from time import monotonic
from typing import TYPE_CHECKING, Any, cast

from scrimmage.engine.callbacks.early_stopping import is_improvement
from scrimmage.engine.events import Callback, Context, LoopState
from scrimmage.errors import ConfigError

if TYPE_CHECKING:
    from scrimmage.config.schema import RunConfig
    from scrimmage.engine.callbacks.configs import PhasesConfig
    from scrimmage.engine.tasks.base import LossWeighted


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def phase_lr(step: int, initial: float, peak: float, final: float, warmup_steps: int, decay_steps: int) -> float:
    """The LR of a phase's optimizer step after ``step`` steps of the phase (the module's rule)."""
    if step < warmup_steps:
        return initial + (peak - initial) * step / warmup_steps
    into = step - warmup_steps
    if into < decay_steps:
        return final + (peak - final) * 0.5 * (1.0 + math.cos(math.pi * into / decay_steps))
    return final


@dataclass(frozen=True)
class Phase:
    """A phase with its defaults resolved (LRs from optim.lr, patience from the callback)."""

    name: str
    epochs: int | None
    steps: int | None
    minutes: float | None
    loss_weights: dict[str, float]
    initial: float
    peak: float
    final: float
    warmup_steps: int
    decay_steps: int
    batch_size: int
    patience: int | None

    def lr(self, step: int) -> float:
        return phase_lr(step, self.initial, self.peak, self.final, self.warmup_steps, self.decay_steps)


def resolve(options: PhasesConfig, config: RunConfig) -> list[Phase]:
    phases = []
    for item in options.phases:
        peak = item.lr.peak if item.lr.peak is not None else config.optim.lr
        phases.append(Phase(
            name=item.name or f"phase{len(phases) + 1}", epochs=item.epochs, steps=item.steps, minutes=item.minutes,
            loss_weights=dict(item.loss_weights),
            initial=item.lr.initial if item.lr.initial is not None else peak, peak=peak,
            final=item.lr.final if item.lr.final is not None else peak,
            warmup_steps=item.lr.warmup_steps, decay_steps=item.lr.decay_steps,
            batch_size=item.batch_size or config.trainer.batch_size,
            patience=item.patience if item.patience is not None else options.patience,
        ))
    return phases


class Phases(Callback):
    name = "phases"

    def __init__(self, options: PhasesConfig, config: RunConfig):
        self.phases = resolve(options, config)
        self.metric, self.mode, self.min_delta = config.monitor.metric, config.monitor.mode, options.min_delta
        self.default_batch_size = config.trainer.batch_size
        self.weighs_losses = any(p.loss_weights for p in self.phases)
        # resumable state (see state_dict)
        self.index = 0
        self.started = False
        self.step_in_phase = 0
        self.epochs_in_phase = 0
        self.seconds_before = 0.0  # wall time spent in the phase before this session
        self.best: float | None = None
        self.best_epoch = 0
        self.bad_epochs = 0
        self.pending = ""  # why the phase ends at this epoch's end ("" = it does not)
        self.batch_size = self.default_batch_size  # the size the data order is using
        self.start_epoch = 0
        self.start_step = 0
        self.history: list[dict[str, Any]] = []  # one row per validation: epoch, phase, step, metric
        self.completed: list[dict[str, Any]] = []  # one row per finished phase
        self.clock = monotonic()
        self.said: list[str] = []  # messages of a phase change at an epoch end, printed after that epoch's line

    @property
    def phase(self) -> Phase | None:
        return self.phases[self.index] if self.index < len(self.phases) else None

    def seconds_in_phase(self) -> float:
        return self.seconds_before + (monotonic() - self.clock)

    # ---- events ------------------------------------------------------------------------
    def on_fit_start(self, state: LoopState, ctx: Context) -> None:
        self.clock = monotonic()
        if self.batch_size != self.default_batch_size:  # a resumed epoch continues at the size it began with
            self._set_batch_size(ctx, self.batch_size)
        phase = self.phase
        if phase is None:
            return
        if not self.started:
            self._begin(state, ctx)
            return
        ctx.print(f"resuming phase {self.index + 1}/{len(self.phases)} '{phase.name}' after {self.step_in_phase} "
                  f"of its steps and {self.epochs_in_phase} of its epochs")
        self._apply(state)

    def on_epoch_start(self, state: LoopState, ctx: Context) -> None:
        self._flush(ctx)
        phase = self.phase
        if phase is not None and state.step_in_epoch == 0 and phase.batch_size != self.batch_size:
            self._set_batch_size(ctx, phase.batch_size)
            self.batch_size = phase.batch_size

    def on_optimizer_step(self, state: LoopState, ctx: Context) -> None:
        phase = self.phase
        if phase is None or self.pending:
            return
        self.step_in_phase += 1
        self._set_lr(state, phase.lr(self.step_in_phase))
        if phase.steps is not None and self.step_in_phase >= phase.steps:
            reason = _count(phase.steps, "step")
        elif phase.minutes is not None and self.seconds_in_phase() >= 60 * phase.minutes:
            reason = f"{phase.minutes:g} minutes"
        else:
            return
        last = self.index == len(self.phases) - 1
        if last or state.step_in_epoch >= state.steps_per_epoch:
            self.pending = reason  # validate the epoch this phase trained, then end it
            if last:
                state.should_stop = True  # the loop ends the epoch here
            return
        self._end(state, ctx, reason, at_epoch_end=False)

    def on_epoch_end(self, state: LoopState, ctx: Context) -> None:
        phase = self.phase
        if phase is None:
            return
        epoch = int(state.metrics["epoch"])
        value = state.metrics.get(self.metric, float("nan"))
        state.metrics["phase"] = float(self.index + 1)  # logged with the epoch and kept in the run's history
        self.history.append({"epoch": epoch, "phase": phase.name, "step": state.global_step, self.metric: value})
        self.epochs_in_phase += 1
        if is_improvement(value, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch, self.bad_epochs = value, epoch, 0
        else:
            self.bad_epochs += 1
        reason = self.pending
        if not reason and phase.patience is not None and self.bad_epochs and self.bad_epochs >= phase.patience:
            best = f"best {self.best:.4g} at epoch {self.best_epoch}" if self.best is not None else "never finite"
            reason = f"early stopping: {self.metric} did not improve for {_count(self.bad_epochs, 'epoch')} ({best})"
        if not reason and phase.epochs is not None and self.epochs_in_phase >= phase.epochs:
            reason = _count(phase.epochs, "epoch")
        if not reason and phase.minutes is not None and self.seconds_in_phase() >= 60 * phase.minutes:
            reason = f"{phase.minutes:g} minutes"
        if reason:
            self._end(state, ctx, reason, at_epoch_end=True)

    def on_fit_end(self, state: LoopState, ctx: Context) -> None:
        self._flush(ctx)

    def _say(self, ctx: Context, text: str, at_epoch_end: bool = False) -> None:
        """Print now, or (a change at an epoch end) once the epoch's own line is out: the progress callback prints
        it after this one, and "phase 2 starts at epoch 5" before "epoch 4 ..." reads backwards."""
        if at_epoch_end:
            self.said.append(text)
        else:
            ctx.print(text)

    def _flush(self, ctx: Context) -> None:
        for text in self.said:
            ctx.print(text)
        self.said = []

    # ---- phase changes -----------------------------------------------------------------
    def _begin(self, state: LoopState, ctx: Context, at_epoch_end: bool = False) -> None:
        phase = self.phase
        assert phase is not None
        self.started = True
        self.step_in_phase = self.epochs_in_phase = self.bad_epochs = self.best_epoch = 0
        self.seconds_before, self.clock = 0.0, monotonic()
        self.best, self.pending = None, ""
        self.start_epoch, self.start_step = state.epoch + 1, state.global_step
        self._say(ctx, f"phase {self.index + 1}/{len(self.phases)} '{phase.name}' ({self._describe(phase)}) starts at "
                  f"epoch {state.epoch + 1}, step {state.global_step}", at_epoch_end)
        self._apply(state)

    def _end(self, state: LoopState, ctx: Context, reason: str, at_epoch_end: bool) -> None:
        phase = self.phase
        assert phase is not None
        self.completed.append({  # epochs 1-based: the epoch of the phase's first step and of its end
            "phase": phase.name, "reason": reason, "start_epoch": self.start_epoch, "start_step": self.start_step,
            "end_epoch": state.epoch if at_epoch_end else state.epoch + 1, "end_step": state.global_step, "epochs": self.epochs_in_phase,
            "steps": self.step_in_phase, "seconds": round(self.seconds_in_phase(), 3),
            "best": self.best, "best_epoch": self.best_epoch,
        })
        state.checkpoint_requests.append(f"phase={self.index + 1:02d}-{phase.name}.ckpt")
        self._say(ctx, f"phase {self.index + 1}/{len(self.phases)} '{phase.name}' ended at step {state.global_step} "
                  f"({'end of ' if at_epoch_end else ''}epoch {self.completed[-1]['end_epoch']}): {reason}", at_epoch_end)
        self.index += 1
        self.pending = ""
        if self.phase is None:
            state.should_stop = True
            state.stop_reason = f"phases: all {len(self.phases)} phases done (the last, '{phase.name}', after {reason})"
            return
        self._begin(state, ctx, at_epoch_end)

    def _apply(self, state: LoopState) -> None:
        """Make the optimizer and task match the current phase and position (fresh start, resume, next phase)."""
        phase = self.phase
        assert phase is not None
        if self.weighs_losses:  # the task is LossWeighted: checked when the run was built (PhasesConfig.check_task)
            cast("LossWeighted", state.task).set_loss_weights(phase.loss_weights)
        self._set_lr(state, phase.lr(self.step_in_phase))

    @staticmethod
    def _set_lr(state: LoopState, lr: float) -> None:
        for group in state.optimizer.param_groups:
            group["lr"] = lr

    @staticmethod
    def _set_batch_size(ctx: Context, size: int) -> None:
        if ctx.set_batch_size is None:
            raise ConfigError("this training loop cannot change the batch size; remove batch_size from the phases")
        ctx.set_batch_size(size)

    @staticmethod
    def _describe(phase: Phase) -> str:
        length = (_count(phase.epochs, "epoch") if phase.epochs is not None else
                  _count(phase.steps, "step") if phase.steps is not None else f"{phase.minutes:g} minutes")
        lr = f"lr {phase.initial:g} → {phase.peak:g} → {phase.final:g}"
        weights = f", loss weights {phase.loss_weights}" if phase.loss_weights else ""
        return f"{length}, {lr}, batch {phase.batch_size}{weights}"

    # ---- resumable state ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "index": self.index, "phase": self.phase.name if self.phase else None, "started": self.started,
            "step_in_phase": self.step_in_phase, "epochs_in_phase": self.epochs_in_phase,
            "seconds_in_phase": self.seconds_in_phase(), "best": self.best, "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs, "pending": self.pending, "batch_size": self.batch_size,
            "start_epoch": self.start_epoch, "start_step": self.start_step,
            "history": [dict(row) for row in self.history], "completed": [dict(row) for row in self.completed],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if not state:
            return
        self.index, self.started = int(state["index"]), bool(state["started"])
        self.step_in_phase, self.epochs_in_phase = int(state["step_in_phase"]), int(state["epochs_in_phase"])
        self.seconds_before = float(state["seconds_in_phase"])
        self.best, self.best_epoch, self.bad_epochs = state["best"], int(state["best_epoch"]), int(state["bad_epochs"])
        self.pending, self.batch_size = str(state["pending"]), int(state["batch_size"])
        self.start_epoch, self.start_step = int(state["start_epoch"]), int(state["start_step"])
        self.history = [dict(row) for row in state["history"]]
        self.completed = [dict(row) for row in state["completed"]]
